"""Command groups of the `registry` CLI, one module per workflow; each exposes COMMANDS."""
