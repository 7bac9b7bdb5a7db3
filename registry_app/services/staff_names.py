"""The office's staff by name: records keep the login name (stable, unique: 'li'), screens and forms show
the person (李明). Staff names are not a citizen's personal data, so reading them is not audited."""
from __future__ import annotations

import re

from sqlalchemy import select

from registry_app.services.context import AppContext
from registry_app.storage.models import User

SYSTEM_NAMES = {"system": "系统", "demo": "演示数据"}


class StaffNames:
    """username -> display name, read once; an unknown login name is shown as it is."""

    def __init__(self, ctx: AppContext):
        with ctx.db.read() as s:
            self.names = {u: n for u, n in s.execute(select(User.username, User.display_name)) if n}

    def name(self, username: str | None) -> str:
        if not username:
            return ""
        return self.names.get(username) or SYSTEM_NAMES.get(username, username)

    def in_text(self, text: str, label: str = "监誓人") -> str:
        """'监誓人：li；证书字号：J…' -> '监誓人：李明；证书字号：J…' (a timeline line names the witness)."""
        return re.sub(rf"({re.escape(label)}：)([^；\s]+)", lambda m: m.group(1) + self.name(m.group(2)), text)


__all__ = ["StaffNames"]
