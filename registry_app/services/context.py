"""The application context passed to every service: database, clock, settings, current user.
No globals: the client, the command line and the tests each build their own."""
from __future__ import annotations

from dataclasses import dataclass, field

from registry_app.clock import Clock
from registry_app.domain.roles import Permission, Role, can
from registry_app.errors import PermissionDenied
from registry_app.storage.engine import Database


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
        """The service-layer permission check: hiding a button is not enough."""
        if self.user is None:
            raise PermissionDenied("请先登录", code="NOT_LOGGED_IN")
        if self.user.must_change_password:
            raise PermissionDenied("首次登录须先修改密码", code="PASSWORD_CHANGE_REQUIRED")
        if not can(self.user.role, permission):
            raise PermissionDenied(
                f"{self.user.role.zh}无权执行此操作（{permission.zh}）", code="PERMISSION_DENIED"
            )
        return self.user

    def as_user(self, user: CurrentUser | None) -> "AppContext":
        return AppContext(db=self.db, clock=self.clock, user=user)
