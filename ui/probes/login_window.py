"""Cold-start probe: build the application as the client does, unlock the database (the key
derivation the unlock dialog runs), show the login window and say READY.
Usage: python -m ui.probes.login_window DB_PATH  (passphrase in REGISTRY_PASSPHRASE)."""
import os
import sys
from pathlib import Path

from registry_app.services.workspace import open_workspace
from ui.app import make_application
from ui.login import LoginDialog

app = make_application(sys.argv[:1])
ctx = open_workspace(Path(sys.argv[1]), os.environ["REGISTRY_PASSPHRASE"], exclusive=False)
dialog = LoginDialog(ctx)
dialog.show()
app.processEvents()
print("READY", flush=True)
ctx.db.close()
