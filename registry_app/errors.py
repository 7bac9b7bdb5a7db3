"""Coded errors a clerk can read out.

Every refusal carries a stable code (for scripts, batch files and statistics), the field it
concerns (for the form to show it next to the field) and a Chinese message.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    field: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class RegistryError(Exception):
    """Base of every error the core raises on purpose."""

    code = "REGISTRY_ERROR"

    def __init__(self, message: str, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field

    @property
    def issues(self) -> list[Issue]:
        return [Issue(self.code, self.message, self.field)]


class Refused(RegistryError):
    """A request the rules refuse. Holds every reason found, not only the first."""

    code = "REFUSED"

    def __init__(self, issues: list[Issue]):
        if not issues:
            raise ValueError("Refused needs at least one issue")
        self._issues = list(issues)
        super().__init__("；".join(i.message for i in self._issues), issues[0].code, issues[0].field)

    @property
    def issues(self) -> list[Issue]:
        return list(self._issues)

    def codes(self) -> list[str]:
        return [i.code for i in self._issues]


class PermissionDenied(RegistryError):
    code = "PERMISSION_DENIED"


class NotFound(RegistryError):
    code = "NOT_FOUND"


class InvalidState(RegistryError):
    """The operation is not allowed in the record's current state."""

    code = "INVALID_STATE"


class RecordChanged(InvalidState):
    """Another counter changed the row after this edit read it (versioned edits: services/versions.py);
    nothing was written."""

    code = "RECORD_CHANGED"


class StorageError(RegistryError):
    code = "STORAGE_ERROR"


class WrongPassphrase(StorageError):
    code = "WRONG_PASSPHRASE"


class DatabaseLocked(StorageError):
    code = "DATABASE_LOCKED"


class ConnectionLost(StorageError):
    """The database server stopped answering mid-operation. The transaction is rolled back by the
    server, so the operation either committed whole or not at all; the next operation reconnects."""

    code = "CONNECTION_LOST"


class AuthenticationFailed(RegistryError):
    code = "AUTH_FAILED"


class Cancelled(RegistryError):
    """The clerk stopped a long operation. Raised inside its transaction so that nothing is left: the
    one way every operation (import, export, print, check) reports a cancel."""

    code = "CANCELLED"

    def __init__(self, message: str = "已取消", code: str | None = None, field: str | None = None):
        super().__init__(message, code, field)


def refuse_if(issues: list[Issue]) -> None:
    """Raise Refused when the list is not empty."""
    if issues:
        raise Refused(issues)
