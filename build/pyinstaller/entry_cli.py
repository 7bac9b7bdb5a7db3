"""Frozen entry of the command line (registry): the same main as the installed console script."""
from registry_app.cli import main

if __name__ == "__main__":
    main()
