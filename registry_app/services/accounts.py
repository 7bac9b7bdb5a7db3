"""Accounts: Argon2 password hashes, lockout after repeated failures, forced first change."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from registry_app.domain.roles import Permission, Role
from registry_app.errors import AuthenticationFailed, Issue, NotFound, PermissionDenied, Refused, RegistryError
from registry_app.services import audit
from registry_app.services.context import AppContext, CurrentUser
from registry_app.services.settings import load_settings
from registry_app.storage.models import User

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,32}$")
MIN_PASSWORD = 10


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: str
    disabled: bool
    must_change_password: bool
    locked_until: str | None

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def password_issues(password: str, username: str = "") -> list[Issue]:
    issues = []
    if len(password or "") < MIN_PASSWORD:
        issues.append(Issue("PASSWORD_TOO_SHORT", f"密码至少{MIN_PASSWORD}位", "password"))
    elif password.isdigit() or password.isalpha():
        issues.append(Issue("PASSWORD_TOO_SIMPLE", "密码须同时包含字母和数字", "password"))
    if username and password and username.lower() in password.lower():
        issues.append(Issue("PASSWORD_CONTAINS_USERNAME", "密码不能包含用户名", "password"))
    return issues


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _info(u: User) -> UserInfo:
    return UserInfo(u.id, u.username, u.display_name, u.role, u.disabled, u.must_change_password,
                    u.locked_until.isoformat() if u.locked_until else None)


def _current(u: User) -> CurrentUser:
    return CurrentUser(u.id, u.username, u.display_name, Role(u.role), u.must_change_password)


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    if t is not None and t.tzinfo is None:  # SQLite returns naive datetimes; we store UTC+8 aware ones
        from registry_app.clock import CHINA_TZ
        return t.replace(tzinfo=CHINA_TZ)
    return t


class Accounts:
    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def create_user(self, session, username: str, display_name: str, role: Role | str, password: str,
                    must_change: bool = True) -> User:
        issues = []
        if not _USERNAME.match(username or ""):
            issues.append(Issue("USERNAME_INVALID", "用户名为2至32位字母、数字或 _ . -", "username"))
        if not (display_name or "").strip():
            issues.append(Issue("DISPLAY_NAME_REQUIRED", "请输入姓名", "display_name"))
        try:
            role = Role(role)
        except ValueError:
            issues.append(Issue("ROLE_INVALID", "角色无效", "role"))
        issues += password_issues(password, username)
        if not issues and session.execute(select(User.id).where(User.username == username)).first():
            issues.append(Issue("USERNAME_TAKEN", "该用户名已存在", "username"))
        if issues:
            raise Refused(issues)
        user = User(username=username, display_name=display_name.strip(), role=role.value,
                    password_hash=hash_password(password), must_change_password=must_change,
                    created_at=self.ctx.clock.now())
        session.add(user)
        session.flush()
        return user

    def add(self, username: str, display_name: str, role: Role | str, password: str) -> UserInfo:
        self.ctx.require(Permission.MANAGE_USERS)
        with self.ctx.db.write() as s:
            u = self.create_user(s, username, display_name, role, password, must_change=True)
            audit.record(self.ctx, s, "user.add", "user", u.username, {"role": u.role})
            return _info(u)

    def list(self) -> list[UserInfo]:
        self.ctx.require(Permission.MANAGE_USERS)
        with self.ctx.db.read() as s:
            return [_info(u) for u in s.execute(select(User).order_by(User.username)).scalars()]

    def set_disabled(self, username: str, disabled: bool = True, reason: str = "") -> UserInfo:
        actor = self.ctx.require(Permission.MANAGE_USERS)
        if actor.username == username and disabled:
            raise RegistryError("不能停用自己的账户", code="CANNOT_DISABLE_SELF")
        with self.ctx.db.write() as s:
            u = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
            if u is None:
                raise NotFound(f"用户不存在：{username}", code="USER_NOT_FOUND")
            u.disabled = disabled
            audit.record(self.ctx, s, "user.disable" if disabled else "user.enable", "user", username,
                         reason=reason)
            return _info(u)

    def reset_password(self, username: str, new_password: str) -> UserInfo:
        self.ctx.require(Permission.MANAGE_USERS)
        issues = password_issues(new_password, username)
        if issues:
            raise Refused(issues)
        with self.ctx.db.write() as s:
            u = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
            if u is None:
                raise NotFound(f"用户不存在：{username}", code="USER_NOT_FOUND")
            u.password_hash = hash_password(new_password)
            u.must_change_password = True
            u.failed_logins = 0
            u.locked_until = None
            audit.record(self.ctx, s, "user.password_reset", "user", username)
            return _info(u)

    def login(self, username: str, password: str) -> CurrentUser:
        """Check a password. Failures are counted and audited; too many lock the account for a while.
        The message never says whether the user name or the password was wrong."""
        now = self.ctx.clock.wall()  # the lockout never reads a clock override (see clock.TrainingClock)
        failure: RegistryError | None = None
        with self.ctx.db.write() as s:
            settings = load_settings(s)
            u = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
            if u is None:
                audit.record(self.ctx, s, "login.failed", "user", username, {"why": "unknown_user"},
                             username=username or "?", role="none")
                failure = AuthenticationFailed("用户名或密码错误")
            elif u.disabled:
                audit.record(self.ctx, s, "login.refused", "user", username, {"why": "disabled"},
                             username=username, role=u.role)
                failure = AuthenticationFailed("该账户已停用，请联系系统管理员", code="ACCOUNT_DISABLED")
            elif _aware(u.locked_until) and _aware(u.locked_until) > now:
                audit.record(self.ctx, s, "login.refused", "user", username, {"why": "locked"},
                             username=username, role=u.role)
                until = _aware(u.locked_until).strftime("%H:%M")
                failure = AuthenticationFailed(f"登录失败次数过多，账户已锁定至{until}", code="ACCOUNT_LOCKED")
            else:
                try:
                    _hasher.verify(u.password_hash, password or "")
                except (VerificationError, InvalidHashError):
                    u.failed_logins += 1
                    detail = {"why": "bad_password", "failures": u.failed_logins}
                    if u.failed_logins >= settings.max_failed_logins:
                        u.locked_until = now + dt.timedelta(minutes=settings.lockout_minutes)
                        u.failed_logins = 0
                        detail["locked_minutes"] = settings.lockout_minutes
                    audit.record(self.ctx, s, "login.failed", "user", username, detail,
                                 username=username, role=u.role)
                    failure = AuthenticationFailed("用户名或密码错误")
                else:
                    u.failed_logins = 0
                    u.locked_until = None
                    if _hasher.check_needs_rehash(u.password_hash):
                        u.password_hash = hash_password(password)
                    audit.record(self.ctx, s, "login", "user", username, username=username, role=u.role)
                    return _current(u)
        # Raised after commit so the failure count and its audit entry are kept.
        raise failure

    def logout(self, user: CurrentUser, why: str = "switch_user") -> None:
        """The user leaves the counter (切换用户): written to the audit trail like the login."""
        with self.ctx.db.write() as s:
            audit.record(self.ctx.as_user(user), s, "logout", "user", user.username, {"why": why})

    def check_approver(self, session, username: str | None, password: str | None, permission: Permission) -> User:
        """A second person's approval given at the counter (four eyes): their password is checked like a
        login (a wrong one counts towards that person's lock-out, a locked account cannot approve) and
        their role must carry `permission`. Used inside the approved operation's own transaction; every
        failure is audited (`auth.approval_failed`) in a transaction of its own (services.access_log),
        so the refused operation's rollback does not take the count or the entry with it."""
        u = session.execute(select(User).where(User.username == (username or ""))).scalar_one_or_none()
        now = self.ctx.clock.wall()
        why = None
        if u is None:
            why = "unknown_user"
        elif u.disabled:
            why = "disabled"
        elif _aware(u.locked_until) and _aware(u.locked_until) > now:
            self._approval_failed(username, "locked", permission)
            until = _aware(u.locked_until).strftime("%H:%M")
            raise PermissionDenied(f"批准人账户因密码错误次数过多已锁定至{until}", code="APPROVER_LOCKED")
        elif not password:
            why = "no_password"
        else:
            try:
                _hasher.verify(u.password_hash, password)
            except (VerificationError, InvalidHashError):
                why = "bad_password"
        if why:
            self._approval_failed(username or "", why, permission)
            raise PermissionDenied("批准人用户名或密码错误", code="APPROVER_INVALID")
        from registry_app.domain.roles import can

        if not can(u.role, permission):
            self._approval_failed(u.username, "not_permitted", permission)
            raise PermissionDenied(f"{u.display_name}（{Role(u.role).zh}）无权{permission.zh}", code="NOT_A_SUPERVISOR")
        if u.failed_logins:
            u.failed_logins = 0  # a right password resets the count, as a login does
        return u

    def _approval_failed(self, username: str, why: str, permission: Permission) -> None:
        from registry_app.services.access_log import record_refusal

        ctx = self.ctx

        def write(s) -> None:
            detail = {"why": why, "permission": permission.value}
            u = s.execute(select(User).where(User.username == username)).scalar_one_or_none() if username else None
            if u is not None and why == "bad_password":
                settings = load_settings(s)
                u.failed_logins += 1
                detail["failures"] = u.failed_logins
                if u.failed_logins >= settings.max_failed_logins:
                    u.locked_until = ctx.clock.wall() + dt.timedelta(minutes=settings.lockout_minutes)
                    u.failed_logins = 0
                    detail["locked_minutes"] = settings.lockout_minutes
            audit.record(ctx, s, "auth.approval_failed", "user", username or "?", detail)

        record_refusal(ctx, write)

    def change_password(self, user: CurrentUser, old_password: str, new_password: str) -> CurrentUser:
        issues = password_issues(new_password, user.username)
        if old_password == new_password:
            issues.append(Issue("PASSWORD_UNCHANGED", "新密码不能与原密码相同", "new_password"))
        if issues:
            raise Refused(issues)
        with self.ctx.db.write() as s:
            u = s.get(User, user.id)
            try:
                _hasher.verify(u.password_hash, old_password or "")
            except (VerificationError, InvalidHashError):
                raise Refused([Issue("OLD_PASSWORD_WRONG", "原密码错误", "old_password")]) from None
            u.password_hash = hash_password(new_password)
            u.must_change_password = False
            audit.record(self.ctx.as_user(user), s, "user.password_changed", "user", user.username)
            return _current(u)
