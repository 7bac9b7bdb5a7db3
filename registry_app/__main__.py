"""`python -m registry_app` runs the `registry` command."""
from registry_app.cli import main

main()
