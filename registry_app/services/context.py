"""The application context passed to every service: database, clock, settings, current user.
No globals: the client, the command line and the tests each build their own."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

from registry_app.clock import Clock
from registry_app.domain.roles import Permission, Role, can
from registry_app.errors import PermissionDenied
from registry_app.storage.engine import Database


def _operation() -> str:
    """The service operation asking for a permission (for the audit entry of a refusal): the first
    caller of require() that is not itself a permission helper."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_name.lstrip("_").startswith("require"):
        frame = frame.f_back
    return frame.f_code.co_qualname if frame is not None else "?"


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: Role
    must_change_password: bool = False


@dataclass
class AppContext:
    db: Database
    clock: Clock = field(default_factory=Clock)
    user: CurrentUser | None = None

    def require(self, permission: Permission) -> CurrentUser:
        """The service-layer permission check: hiding a button is not enough. Every refusal is audited
        (`access.denied`) in its own transaction, so it outlives the refused operation."""
        return self._require((permission,))

    def require_any(self, *permissions: Permission) -> CurrentUser:
        """Allowed when the role carries any one of `permissions`; one refusal (naming the first) if none."""
        return self._require(permissions)

    def _require(self, permissions: tuple[Permission, ...]) -> CurrentUser:
        if self.user is None:
            refusal = PermissionDenied("请先登录", code="NOT_LOGGED_IN")
        elif self.user.must_change_password:
            refusal = PermissionDenied("首次登录须先修改密码", code="PASSWORD_CHANGE_REQUIRED")
        elif not any(can(self.user.role, p) for p in permissions):
            refusal = PermissionDenied(
                f"{self.user.role.zh}无权执行此操作（{permissions[0].zh}）", code="PERMISSION_DENIED"
            )
        else:
            return self.user
        from registry_app.services.access_log import access_denied

        access_denied(self, permissions[0], refusal.code, _operation())
        raise refusal

    def as_user(self, user: CurrentUser | None) -> "AppContext":
        return AppContext(db=self.db, clock=self.clock, user=user)
