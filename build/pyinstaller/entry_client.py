"""Frozen entry of the client (registry-app): the same main as the installed gui-script."""
import sys

from ui.app import main

if __name__ == "__main__":
    sys.exit(main())
