"""`registry bench`: speed figures on a database of N synthetic records, each next to a baseline.

Every operation goes through the code the counter uses (services, certificates, the batch builder) and is
compared with the least the same work can cost: the same SQL through a raw connection (sqlcipher3 on the
file, psycopg on PostgreSQL), the same rows in one raw INSERT transaction, the certificate module without the
service, the payload written without signature or encryption, a bare Qt window. The report is JSON:

    {"records": N, "engine": "sqlcipher" | "postgresql",
     "operations": {NAME: {"count", "median_ms", "p95_ms", "baseline_median_ms", "ratio"[, "per_s"]}},
     "targets": [{"name", "target", "value", "met"}]
     [, "counters": [{"counters", "registrations", "failed", "per_s", "median_ms", "p95_ms"}]]}  (--counters)

The targets are those for 1,000,000 records; at other sizes they are reported the same way. Nothing here
is a test assertion. The benchmark writes to the database it measures (test couples registered,
certificates printed, archive rows imported): give it a copy or let it make a temporary one.
"""
from __future__ import annotations

import csv
import io
import os
import random
import resource
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable

from sqlalchemy import func, insert, select

from registry_app.bench.coldstart import cold_start_ms
from registry_app.bench.database import SqlCapture, build_database
from registry_app.bench.raw import raw_connect, sql_literal
from registry_app.bench.targets import TARGETS, targets_for
from registry_app.bench.timing import Samples, operation
from registry_app.domain.states import CertificateState, MarriageState, SyncState
from registry_app.errors import RegistryError

DEFAULT_RECORDS = 100_000
LOOKUPS = 200
REGISTRATIONS = 60
PDFS = 20
EXPORT_SMALL = 1_000
EXPORT_LARGE = 100_000
IMPORT_ROWS = 20_000
# An abolished district code (大厂区, until 2002) that the demo data never uses: the benchmark's own
# couples can never collide with the demo population.
BENCH_REGIONS = ("320112",)

ProgressFn = Callable[[str], None]


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _progress_default(message: str) -> None:
    # The peak so far with each step, so a high peak can be placed without a profiler.
    print(f"bench: {message} (peak memory so far {peak_memory_mb():.0f} MB)", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, records: int, db_path: Path | None = None, *, passphrase: str | None = None,
                 progress: ProgressFn | None = None, seed: int = 20260615, url: str | None = None,
                 counters: list[int] | None = None, operations: bool = True):
        self.records = records
        self.progress = progress or _progress_default
        self.rng = random.Random(seed)
        self.work = Path(tempfile.mkdtemp(prefix="registry-bench-"))
        os.chmod(self.work, 0o700)
        self.url = url  # PostgreSQL: the database at the URL is measured (and written to)
        self.counters = counters  # levels of the concurrent-counters figure (bench/counters.py), or None
        self.measure_operations = operations
        self.temporary = db_path is None and url is None
        self.path = Path(db_path) if db_path else self.work / "bench.db"
        self.passphrase = passphrase or os.environ.get("REGISTRY_PASSPHRASE") or secrets.token_urlsafe(18)
        self.operations: dict[str, dict] = {}
        self.values: dict[str, float | None] = {}

    # --- set-up -----------------------------------------------------------------------------------------
    def _open(self):
        from registry_app.services.workspace import open_workspace

        ctx = open_workspace(self.path, self.passphrase, exclusive=False, url=self.url)
        ctx.user = self._bench_user(ctx)
        return ctx

    @staticmethod
    def _bench_user(ctx):
        """A clerk account for the benchmark's casework (made once; acting as it needs no password)."""
        from registry_app.domain.roles import Role
        from registry_app.services.accounts import Accounts
        from registry_app.services.context import CurrentUser
        from registry_app.storage.models import User

        with ctx.db.write() as s:
            user = s.execute(select(User).where(User.username == "bench-clerk")).scalar_one_or_none()
            if user is None:
                user = Accounts(ctx).create_user(s, "bench-clerk", "基准测试", Role.CLERK,
                                                 "Bench-" + secrets.token_hex(12) + "-7q", must_change=False)
            return CurrentUser(user.id, user.username, user.display_name, Role.CLERK)

    # --- samples ----------------------------------------------------------------------------------------
    def _sample(self, conn, sql: str, upper: int, want: int, accept=lambda v: v is not None) -> list:
        out, tries = [], 0
        while len(out) < want and tries < want * 50 and upper > 0:
            tries += 1
            rows = conn.execute(sql, (self.rng.randint(1, upper),)).fetchall()
            if rows and accept(rows[0][0]):
                out.append(rows[0][0])
        return out

    def _lookup_samples(self, conn) -> dict[str, list[str]]:
        max_party = conn.execute("SELECT max(id) FROM parties").fetchone()[0] or 0
        max_record = conn.execute("SELECT max(id) FROM records").fetchone()[0] or 0
        n = min(LOOKUPS, max(20, self.records // 5))
        ids = self._sample(conn, "SELECT id_number FROM parties WHERE id = ? AND id_type = 'resident_id'",
                           max_party, n)
        certs = self._sample(conn, "SELECT certificate_no FROM records WHERE id = ?", max_record, n)
        names_ = self._sample(conn, "SELECT name FROM parties WHERE id = ? AND id_type <> 'none'", max_party, n,
                              accept=lambda v: bool(v) and len(v) >= 2)
        return {"lookup_id": ids, "lookup_certificate": certs, "name_search": names_}

    # --- lookups ----------------------------------------------------------------------------------------
    def _lookups(self, ctx, samples: dict[str, list[str]]) -> dict[str, tuple[Samples, list]]:
        from registry_app.services.search import RecordSearch

        search = RecordSearch(ctx)
        out = {}
        with SqlCapture(ctx.db.engine) as cap:
            for name, queries in samples.items():
                timings, statements = Samples(), []
                for q in queries[:3]:
                    search.search(q)  # warm the statement cache and the pages
                for q in queries:
                    with cap.collect() as seen:
                        timings.time(search.search, q)
                    statements.append(list(seen))
                out[name] = (timings, statements)
        return out

    @staticmethod
    def _raw_lookups(conn, statements: list[list[tuple[str, tuple]]]) -> Samples:
        timings = Samples()

        def run(batch):
            for sql, params in batch:
                conn.execute(sql, params).fetchall()

        for batch in statements[:3]:
            run(batch)
        for batch in statements:
            timings.time(run, batch)
        return timings

    # --- registration -----------------------------------------------------------------------------------
    def _registrations(self, ctx, conn) -> None:
        from registry_app.demo.generator import DemoGenerator
        from registry_app.services.marriage import MarriageCase, MarriageService

        people = DemoGenerator(None, 0, seed=secrets.randbits(32))
        lo, hi = BENCH_REGIONS[0], str(int(BENCH_REGIONS[0]) + 1)
        people.reserve_ids(n for (n,) in conn.execute(
            "SELECT id_number FROM parties WHERE id_number >= ? AND id_number < ?", (lo, hi)))
        today = ctx.clock.today()
        service = MarriageService(ctx)
        n = min(REGISTRATIONS, max(10, self.records // 10))
        timings, ids = Samples(), []
        for i in range(n + 2):
            case = MarriageCase.from_dict(people.marriage_case(today, regions=BENCH_REGIONS))
            if i < 2:
                service.register_case(case)  # warm-up
                continue
            ids.append(timings.time(service.register_case, case).record_id)
        # Baseline: the same records, parties and certificate rows, one raw INSERT transaction each.
        # (The audit and event rows are hash-chained and sequence-numbered: they are not copied.)
        base = Samples()
        made: list[int] = []
        rows = []
        for rid in ids:
            rec = conn.execute("SELECT * FROM records WHERE id = ?", (rid,))
            rec_cols = [d[0] for d in rec.description]
            rec_row = dict(zip(rec_cols, rec.fetchone()))
            parties = conn.execute("SELECT * FROM parties WHERE record_id = ?", (rid,))
            p_cols = [d[0] for d in parties.description]
            p_rows = [dict(zip(p_cols, r)) for r in parties.fetchall()]
            certs = conn.execute("SELECT * FROM certificates WHERE record_id = ?", (rid,))
            c_cols = [d[0] for d in certs.description]
            c_rows = [dict(zip(c_cols, r)) for r in certs.fetchall()]
            rows.append((rec_row, p_rows, c_rows))

        def one(rec_row, p_rows, c_rows):
            conn.begin()
            rid = conn.insert("records", {**rec_row, "uid": str(uuid.uuid4()),
                                          "certificate_no": rec_row["certificate_no"] + "-B"})
            for p in p_rows:
                conn.insert("parties", {**p, "record_id": rid})
            for c in c_rows:
                conn.insert("certificates", {**c, "record_id": rid, "number": c["number"] + "-B"})
            conn.commit()
            made.append(rid)

        for rec_row, p_rows, c_rows in rows:
            base.time(one, rec_row, p_rows, c_rows)
        conn.delete_copies(made)
        self.operations["registration"] = operation(timings, base)
        self.values["registration_p95_ms"] = timings.p95

    # --- certificates -----------------------------------------------------------------------------------
    def _certificates(self, ctx, conn) -> None:
        from registry_app.certificates import (
            CertificateView,
            PartyView,
            fields_for_certificate,
            make_payload,
            render_many,
        )
        from registry_app.services.certificate_print import CertificatePrinting
        from registry_app.services.office_keys import active_office_key
        from registry_app.services.settings import load_settings
        from registry_app.storage.models import Certificate, Record

        max_record = conn.execute("SELECT max(id) FROM records").fetchone()[0] or 0
        want = min(PDFS, max(5, self.records // 20)) + 1
        chosen: list[int] = []
        tries = 0
        while len(chosen) < want and tries < want * 200:
            tries += 1
            rid = self.rng.randint(1, max_record)
            row = conn.execute(
                f"SELECT 1 FROM records r WHERE r.id = ? AND r.kind = 'marriage' AND r.status = '{MarriageState.REGISTERED.value}' "
                f"AND EXISTS (SELECT 1 FROM certificates c WHERE c.record_id = r.id AND c.status = '{CertificateState.ISSUED.value}') "
                "AND NOT EXISTS (SELECT 1 FROM certificates c JOIN print_log p ON p.certificate_id = c.id "
                "WHERE c.record_id = r.id)", (rid,)).fetchall()
            if row and rid not in chosen:
                chosen.append(rid)
        printing = CertificatePrinting(ctx)
        timings = Samples()
        for i, rid in enumerate(chosen):
            if i == 0:
                printing.render(rid)  # warm-up: fonts and layouts load once per process
                continue
            timings.time(printing.render, rid)
        # Baseline: the certificates module alone, on views read beforehand (QR signing included).
        kinds = {"J": "marriage", "BJ": "reissue_marriage"}
        base = Samples()
        with ctx.db.read() as s:
            settings = load_settings(s)
            _, private = active_office_key(s)
            prepared = []
            for rid in chosen[1:]:
                rec = s.get(Record, rid)
                cert = s.execute(select(Certificate).where(Certificate.record_id == rid, Certificate.status.in_(
                    (CertificateState.ISSUED.value,))).order_by(Certificate.id.desc())).scalars().first()
                holders = [PartyView(p.name, p.sex or "", p.nationality, p.birth_date, p.id_type, p.id_number or "",
                                     (p.data or {}).get("ethnicity", "")) for p in rec.parties[:2]]
                prepared.append(CertificateView(
                    kind=kinds.get(cert.cert_type, "marriage"), number=cert.number, registration_date=cert.issued_on,
                    office_name=settings.office_name, office_code=settings.office_code, holders=holders,
                    remarks=(rec.data or {}).get("remarks", ""), photo=None, extra={}))

        def direct(view):
            view.qr_payload = make_payload(fields_for_certificate(view), private)
            return render_many([CertificateView(**{**view.__dict__, "bearer_index": i, "blank_serial": ""})
                                for i in range(len(view.holders))])

        for view in prepared:
            base.time(direct, view)
        self.operations["certificate_pdf"] = operation(timings, base)
        self.values["certificate_pdf_median_ms"] = timings.median if timings.ms else None

    # --- end-of-day export ------------------------------------------------------------------------------
    def _export(self, ctx) -> None:
        from registry_app.sync.service import SyncService

        if not self._export_service(ctx, SyncService):
            self.progress("end-of-day export not measured: the sync service cannot run on this database")

    def _export_service(self, ctx, sync_service) -> bool:
        """End of day through the sync service: N pending events in, one batch file out. Returns False
        when the service cannot run here (no province key can be set, no registration to copy)."""
        from registry_app.domain.roles import Role
        from registry_app.fsutil import write_atomic
        from registry_app.services.context import CurrentUser
        from registry_app.storage.models import KeyMaterial, RecordEvent, User
        from registry_app.sync.canonical import canonical_json
        from registry_app.sync.keys import ProvinceKeyPair

        out = self.work / "export"
        out.mkdir(exist_ok=True)
        today = ctx.clock.today()
        service = sync_service(ctx)
        try:
            with ctx.db.read() as s:
                has_key = s.execute(select(KeyMaterial.key_id).where(
                    KeyMaterial.purpose == "province_public")).first() is not None
                admin = s.execute(select(User).where(User.role == "admin", User.disabled.is_(False))
                                  .order_by(User.id)).scalars().first()
            if not has_key and admin is not None:
                pub = self.work / "province.pub"
                write_atomic(pub, ProvinceKeyPair.generate("32").public.to_file_bytes())
                sync_service(ctx.as_user(CurrentUser(admin.id, admin.username, admin.display_name,
                                                     Role.ADMIN))).set_province_key(pub)
            service.export(today, out / "flush")  # what was pending before the benchmark
        except RegistryError as exc:
            self.progress(f"sync service not usable here ({exc.code})")
            return False
        with ctx.db.read() as s:
            template = [(e.event_type, e.record_id, e.data) for e in s.execute(
                select(RecordEvent).where(RecordEvent.event_type == "marriage.registered")
                .order_by(RecordEvent.seq.desc()).limit(50)).scalars()]
        if not template:
            return False

        def add_pending(n: int) -> tuple[int, int]:
            with ctx.db.write() as s:
                first = (s.execute(select(func.max(RecordEvent.seq))).scalar() or 0) + 1
                now = ctx.clock.now().isoformat(timespec="seconds")
                rows = []
                for i in range(n):
                    event_type, record_id, data = template[i % len(template)]
                    # fresh ids: a reused benchmark database already holds the ids of earlier runs
                    rows.append({"seq": first + i, "event_id": str(uuid.uuid4()),
                                 "event_type": event_type, "record_id": record_id, "business_date": today,
                                 "occurred_at": now, "actor": ctx.user.username, "data": data, "batch_seq": None,
                                 "sync_status": SyncState.PENDING.value, "sync_code": None})
                    if len(rows) == 5000:
                        s.execute(insert(RecordEvent), rows)
                        rows = []
                if rows:
                    s.execute(insert(RecordEvent), rows)
            return first, first + n - 1

        def plain(first: int, last: int) -> None:
            from registry_app.sync.service import event_payload

            # The same canonical payload, read in chunks as the service does, written without signature
            # or encryption.
            with ctx.db.read() as s:
                chunks = [canonical_json(event_payload(e)) for e in s.execute(
                    select(RecordEvent).where(RecordEvent.seq.between(first, last)).order_by(RecordEvent.seq)
                    .execution_options(yield_per=2000)).scalars()]
            write_atomic(out / "payload.json", b"[" + b",".join(chunks) + b"]")

        for size, runs in self._export_sizes():
            name = f"export_{size}"
            timings, base = Samples(), Samples()
            for run in range(runs):
                first, last = add_pending(size)
                timings.time(service.export, today, out / f"{name}-{run}")
                base.time(plain, first, last)
            self.operations[name] = operation(timings, base, per=size)
            self.values[f"{name}_s"] = timings.median / 1000.0
        shutil.rmtree(out, ignore_errors=True)
        return True

    def _export_sizes(self) -> list[tuple[int, int]]:
        """(events, runs): 1,000 and 100,000 events; a small database measures smaller batches instead
        (named by their size, so a figure is never passed off as another)."""
        small = min(EXPORT_SMALL, max(100, self.records))
        large = EXPORT_LARGE if self.records >= EXPORT_LARGE else max(small * 2, min(EXPORT_LARGE, self.records * 10))
        return [(small, 5), (large, 1)]

    # --- archive import ---------------------------------------------------------------------------------
    def _archive_csv(self, rows: int, tag: str) -> Path:
        from registry_app.demo.generator import DemoGenerator
        from registry_app.services.archive_import import COLUMNS

        data = DemoGenerator(None, 0, seed=self.rng.getrandbits(32)).archive_rows(rows, tag)
        buf = io.StringIO(newline="")
        w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\r\n")
        w.writeheader()
        w.writerows(data)
        path = self.work / f"{tag}.csv"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(buf.getvalue())
        return path

    def _import_once(self, ctx, rows: int) -> tuple[float, int, int]:
        """Import `rows` archive rows; (seconds, first new record id, last new record id)."""
        from registry_app.services.archive_import import ArchiveImport
        from registry_app.storage.models import Record

        tag = f"BENCH-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"
        path = self._archive_csv(rows, tag)
        with ctx.db.read() as s:
            before = s.execute(select(func.max(Record.id))).scalar() or 0
        started = time.perf_counter()
        report = ArchiveImport(ctx).run(path, report_path=self.work / f"{tag}.refused.csv")
        seconds = time.perf_counter() - started
        path.unlink(missing_ok=True)
        if report.imported != rows:
            raise RegistryError(f"基准测试的档案导入只导入了{report.imported}/{rows}行：{report.refusals_by_code}",
                                code="BENCH_IMPORT_REFUSED")
        # the ids it was given (PostgreSQL's sequence does not reuse the baseline's deleted ids: not before + 1)
        with ctx.db.read() as s:
            first, last = s.execute(select(func.min(Record.id), func.max(Record.id)).where(Record.id > before)).one()
        return seconds, first, last

    def _raw_import(self, conn, first: int, last: int) -> float:
        """The same rows again with a raw executemany in one transaction (then removed again)."""
        cur = conn.execute("SELECT * FROM records WHERE id BETWEEN ? AND ? ORDER BY id", (first, last))
        rec_cols = [d[0] for d in cur.description]
        records = cur.fetchall()
        cur = conn.execute("SELECT * FROM parties WHERE record_id BETWEEN ? AND ? ORDER BY id", (first, last))
        p_cols = [d[0] for d in cur.description]
        parties = cur.fetchall()
        start = (conn.execute("SELECT max(id) FROM records").fetchone()[0] or 0) + 1
        shift = start - first
        uid_at, id_at = rec_cols.index("uid"), rec_cols.index("id")
        rec_rows = []
        for r in records:
            r = list(r)
            r[id_at] += shift
            r[uid_at] = str(uuid.uuid4())
            rec_rows.append(r)
        p_cols_ins = [c for c in p_cols if c != "id"]
        rid_at = p_cols.index("record_id")
        party_rows = [[(v + shift if i == rid_at else v) for i, v in enumerate(p) if p_cols[i] != "id"]
                      for p in parties]
        started = time.perf_counter()
        conn.begin()
        conn.executemany(f"INSERT INTO records ({', '.join(rec_cols)}) VALUES ({', '.join('?' * len(rec_cols))})",
                         rec_rows)
        conn.executemany(f"INSERT INTO parties ({', '.join(p_cols_ins)}) "
                         f"VALUES ({', '.join('?' * len(p_cols_ins))})", party_rows)
        conn.commit()
        seconds = time.perf_counter() - started
        conn.delete_copies([r[id_at] for r in rec_rows])
        return seconds

    def _import_rows(self) -> int:
        return min(IMPORT_ROWS, max(200, self.records // 5))

    # --- the cost of encryption -------------------------------------------------------------------------
    def _plain_copy(self, conn) -> Path:
        plain = self.work / "plain.db"
        os.close(os.open(plain, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        conn.execute(f"ATTACH DATABASE {sql_literal(str(plain))} AS plaintext KEY ''")
        conn.execute("SELECT sqlcipher_export('plaintext')")
        conn.execute("DETACH DATABASE plaintext")
        return plain

    # --- the run ------------------------------------------------------------------------------------------
    def run(self) -> dict:
        try:
            self.generation_s = build_database(self.path, self.records, self.passphrase, self.progress, url=self.url)
            report = self._run() if self.measure_operations else self._records_only()
            if self.counters:
                report["counters"] = self._counters()
            return report
        finally:
            if self.temporary:
                shutil.rmtree(self.work, ignore_errors=True)
            else:
                for name in os.listdir(self.work):
                    (self.work / name).unlink(missing_ok=True)
                shutil.rmtree(self.work, ignore_errors=True)

    def _records_only(self) -> dict:
        from registry_app.storage.models import Record

        ctx = self._open()
        try:
            with ctx.db.read() as s:
                total = s.execute(select(func.count()).select_from(Record)).scalar() or 0
        finally:
            ctx.db.close()
        return {"records": total, "engine": "postgresql" if self.url else "sqlcipher", "operations": {},
                "targets": []}

    def _counters(self) -> list[dict]:
        from registry_app.bench.counters import counters_figure

        self._open().db.close()  # the bench clerk exists before the counters start
        return counters_figure(self.counters, path=None if self.url else self.path, passphrase=self.passphrase,
                               url=self.url, username="bench-clerk", progress=self.progress)

    def _run(self) -> dict:
        from registry_app.clock import Clock
        from registry_app.demo.generator import is_demo_database
        from registry_app.services.context import AppContext
        from registry_app.storage.engine import open_database, plain_sqlite_url

        ctx = self._open()
        conn = raw_connect(self.path, self.passphrase, self.url)
        try:
            with ctx.db.read() as s:
                from registry_app.storage.models import Record

                total = s.execute(select(func.count()).select_from(Record)).scalar() or 0
            self.progress("lookups")
            samples = self._lookup_samples(conn)
            lookups = self._lookups(ctx, samples)
            enc_lookup = Samples()
            for name, (timings, statements) in lookups.items():
                base = self._raw_lookups(conn, statements)
                self.operations[name] = operation(timings, base)
                enc_lookup.ms.extend(timings.ms)
            self.values["lookup_id_p95_ms"] = lookups["lookup_id"][0].p95
            self.values["lookup_certificate_p95_ms"] = lookups["lookup_certificate"][0].p95
            self.values["name_search_p95_ms"] = lookups["name_search"][0].p95
            self.progress("registration")
            self._registrations(ctx, conn)
            self.progress("certificate PDF")
            self._certificates(ctx, conn)
            self.progress("end-of-day export")
            self._export(ctx)
            self.progress("archive import")
            rows = self._import_rows()
            seconds, first, last = self._import_once(ctx, rows)
            raw_seconds = self._raw_import(conn, first, last)
            imp, raw = Samples([seconds * 1000.0]), Samples([raw_seconds * 1000.0])
            self.operations["archive_import"] = operation(imp, raw, per=rows)
            self.values["import_rows_per_s"] = rows / seconds if seconds > 0 else None
            self.values["import_vs_raw_ratio"] = seconds / raw_seconds if raw_seconds > 0 else None

            self.values["encryption_lookup_ratio"] = None
            self.values["encryption_import_ratio"] = None
            if conn.dialect == "sqlite" and is_demo_database(ctx.db):
                # Only generated data is ever copied in clear, and the copy is deleted at the end.
                self.progress("plain SQLite copy (cost of encryption)")
                plain = self._plain_copy(conn)
                pdb = open_database(plain_sqlite_url(plain))
                try:
                    pctx = AppContext(db=pdb, clock=Clock(), user=ctx.user)
                    plain_lookup = Samples()
                    for timings, _ in self._lookups(pctx, samples).values():
                        plain_lookup.ms.extend(timings.ms)
                    self.operations["encryption_lookup"] = operation(enc_lookup, plain_lookup)
                    self.values["encryption_lookup_ratio"] = self.operations["encryption_lookup"]["ratio"]
                    self.progress("archive import on the plain copy")
                    plain_seconds, _, _ = self._import_once(pctx, rows)
                    self.operations["encryption_import"] = operation(imp, Samples([plain_seconds * 1000.0]), per=rows)
                    self.values["encryption_import_ratio"] = seconds / plain_seconds if plain_seconds > 0 else None
                finally:
                    pdb.close()
                    for suffix in ("", "-journal", "-wal", "-shm"):
                        Path(str(plain) + suffix).unlink(missing_ok=True)
        finally:
            conn.close()
            ctx.db.close()
        self.progress("cold start")
        client, bare = cold_start_ms(self.path, self.passphrase, url=self.url)
        self.operations["cold_start"] = operation(Samples(client), Samples(bare))
        self.values["cold_start_s"] = Samples(client).median / 1000.0
        self.values["peak_memory_mb"] = peak_memory_mb()
        engine = "postgresql" if self.url else "sqlcipher"
        return {
            "records": total,
            "engine": engine,
            "operations": self.operations,
            "targets": [t.check(self.values.get(t.name)) for t in targets_for(engine)],
        }


def run_bench(records: int = DEFAULT_RECORDS, db_path: Path | None = None, *, passphrase: str | None = None,
              progress: ProgressFn | None = None, url: str | None = None, counters: list[int] | None = None,
              operations: bool = True) -> dict:
    return Bench(records, db_path, passphrase=passphrase, progress=progress, url=url, counters=counters,
                 operations=operations).run()


def summary_lines(report: dict) -> list[str]:
    """The report as a table for people (`registry bench` without --json)."""
    lines = [f"records: {report['records']}  engine: {report['engine']}", "",
             f"{'operation':<22}{'n':>6}{'median ms':>12}{'p95 ms':>12}{'baseline ms':>13}{'ratio':>8}{'per s':>11}"]
    for name, op in report["operations"].items():
        per = op.get("per_s")
        lines.append(f"{name:<22}{op['count']:>6}{op['median_ms']:>12.2f}{op['p95_ms']:>12.2f}"
                     f"{op['baseline_median_ms']:>13.2f}{op['ratio']:>8.2f}{'' if per is None else f'{per:>11.0f}'}")
    lines += ["", f"{'target (at 1,000,000 records)':<30}{'value':>12}  {'met':<5} target"]
    for t in report["targets"]:
        value = "-" if t["value"] is None else f"{t['value']:.2f}"
        lines.append(f"{t['name']:<30}{value:>12}  {'yes' if t['met'] else 'NO':<5} {t['target']}")
    if report.get("counters"):
        lines += ["", f"{'counters at once':<18}{'registrations':>14}{'failed':>8}{'per s':>9}{'median ms':>12}"
                      f"{'p95 ms':>10}"]
        for c in report["counters"]:
            lines.append(f"{c['counters']:<18}{c['registrations']:>14}{c['failed']:>8}{c['per_s']:>9.1f}"
                         f"{c['median_ms']:>12.2f}{c['p95_ms']:>10.2f}")
    return lines


__all__ = ["Bench", "DEFAULT_RECORDS", "TARGETS", "run_bench", "summary_lines"]
