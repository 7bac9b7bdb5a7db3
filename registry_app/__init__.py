"""Core of the registry client: rules, storage, services. No Qt below this package."""

__version__ = "0.1.0"
