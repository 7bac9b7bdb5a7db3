"""One counter of the concurrent-counters figure (bench/counters.py), in a process of its own.

Reads its task as one JSON line on stdin ({"path" | "url", "count", "seed", "user"}; the passphrase from
REGISTRY_PASSPHRASE), prepares its couples, registers one to warm up, prints READY and waits for a line on
stdin; then registers `count` couples through the marriage service and prints
{"ms": [...], "numbers": [...], "failed", "started", "ended"} (monotonic seconds, comparable across
processes). A registration that could not get the database (SQLite's lock still held by the others after
the 10 s busy timeout) is counted as failed, not timed: on one file, that is what a busy office meets."""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from registry_app.errors import Refused


def main() -> None:
    from registry_app.bench.runner import BENCH_REGIONS
    from registry_app.demo.generator import DemoGenerator
    from registry_app.domain.roles import Role
    from registry_app.services.context import CurrentUser
    from registry_app.services.marriage import MarriageCase, MarriageService
    from registry_app.services.workspace import open_workspace
    from registry_app.storage.models import Party, User

    task = json.loads(sys.stdin.readline())
    ctx = open_workspace(Path(task["path"] or "."), os.environ.get("REGISTRY_PASSPHRASE", ""), exclusive=False,
                         url=task["url"])
    try:
        with ctx.db.read() as s:
            user = s.execute(select(User).where(User.username == task["user"])).scalar_one()
            lo, hi = BENCH_REGIONS[0], str(int(BENCH_REGIONS[0]) + 1)
            taken = s.execute(select(Party.id_number).where(Party.id_number >= lo, Party.id_number < hi)).scalars()
            people = DemoGenerator(None, 0, seed=task["seed"])
            people.reserve_ids(taken)
        ctx.user = CurrentUser(user.id, user.username, user.display_name, Role.CLERK)
        service = MarriageService(ctx)
        today = ctx.clock.today()

        def register():
            # another counter may have drawn the same synthetic person: draw again (not timed)
            for _ in range(20):
                case = MarriageCase.from_dict(people.marriage_case(today, regions=BENCH_REGIONS))
                started = time.perf_counter()
                try:
                    result = service.register_case(case)
                except Refused:
                    continue
                except OperationalError as exc:
                    if "locked" in str(exc.orig) or "busy" in str(exc.orig):
                        return None, None
                    raise
                return (time.perf_counter() - started) * 1000.0, result.certificate_no
            raise RuntimeError("no registrable couple in 20 draws")

        register()  # warm-up: statement caches, fonts of nothing, the first connection
        print("READY", flush=True)
        sys.stdin.readline()
        ms, numbers, failed = [], [], 0
        started = time.monotonic()
        for _ in range(task["count"]):
            took, number = register()
            if took is None:
                failed += 1
                continue
            ms.append(took)
            numbers.append(number)
        ended = time.monotonic()
        print(json.dumps({"ms": ms, "numbers": numbers, "failed": failed, "started": started, "ended": ended}),
              flush=True)
    finally:
        ctx.db.close()


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # noqa: BLE001 — the parent reports it; its text may hold a party's data
        print(f"counter failed: {type(exc).__name__}", file=sys.stderr, flush=True)
        sys.exit(1)
