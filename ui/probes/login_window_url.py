"""Cold-start probe on PostgreSQL: build the application as the client does, connect to the office's
server, show the login window and say READY.
Usage: python -m ui.probes.login_window_url URL"""
import sys
from pathlib import Path

from registry_app.services.workspace import open_workspace
from ui.app import make_application
from ui.login import LoginDialog

app = make_application(sys.argv[:1])
ctx = open_workspace(Path(), "", exclusive=False, url=sys.argv[1])
dialog = LoginDialog(ctx)
dialog.show()
app.processEvents()
print("READY", flush=True)
ctx.db.close()
