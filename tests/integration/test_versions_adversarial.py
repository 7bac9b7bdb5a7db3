"""Versioned edits under a busy office and an insider (issue #18): hostile versions on every command that
takes `--expect-version` (coded refusal, exit 2, nothing written), prints and other acts that are not
changes of the record (no version raised), changes made by background paths (the version still rises),
and `db check` after all of it."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from registry_app.cli import main
from registry_app.services.certificate_print import CertificatePrinting
from registry_app.services.health import DatabaseHealth
from registry_app.storage.models import (
    Appointment,
    AuditEntry,
    Certificate,
    CertificateSequence,
    Correction,
    Party,
    PrintJob,
    Record,
    WorkCase,
)
from tests.conftest import PASSPHRASE, PASSWORDS
from tests.integration.test_versions import _marriage, _version
from tests.two_counters import counters  # noqa: F401  (fixture)


def _state(ctx) -> dict:
    """Everything a refused edit must leave alone, across the whole database."""
    with ctx.db.read() as s:
        count = lambda model: s.execute(select(func.count()).select_from(model)).scalar()  # noqa: E731
        return {
            "records": s.execute(select(Record.id, Record.version, Record.status, Record.changed_by)
                                 .order_by(Record.id)).all(),
            "parties": s.execute(select(Party.id, Party.name, Party.data).order_by(Party.id)).all(),
            "certificates": s.execute(select(Certificate.number, Certificate.status).order_by(Certificate.id)).all(),
            "numbers": s.execute(select(CertificateSequence.cert_type, CertificateSequence.last_value)).all(),
            "appointments": s.execute(select(Appointment.id, Appointment.status, Appointment.version)).all(),
            "cases": s.execute(select(WorkCase.id, WorkCase.status, WorkCase.version)).all(),
            "corrections": count(Correction),
            "prints": count(PrintJob),
            "audit": count(AuditEntry),
        }


# --- prints are not changes of the record -------------------------------------------------------------

def test_printing_and_previewing_do_not_raise_the_version(counters):
    """A certificate printed, reprinted with a supervisor, previewed, and its forms printed at counter 2:
    none of them changes the record, so counter 1's correction from its earlier read still goes through."""
    from registry_app.services.corrections import Corrections

    rid = _marriage(counters.a)
    read_at = _version(counters.a, rid)
    printing = CertificatePrinting(counters.b)
    printing.render(rid)
    CertificatePrinting(counters.supervisor_b).render(rid)       # copy 2: the supervisor's own reprint
    printing.preview(rid)
    printing.render(rid, "form")
    assert _version(counters.a, rid) == read_at
    cid = Corrections(counters.a).propose(rid, [{"path": "parties.1.occupation", "new": "教师"}], "当事人申请",
                                          version=read_at)
    assert Corrections(counters.supervisor_a).approve(cid).status == "approved"
    assert _version(counters.a, rid) == read_at + 1


# --- an electronic certificate is a copy handed out, like a print --------------------------------------

def _electronic_ready(counters):
    from registry_app.services.electronic_certificates import ElectronicCertificates
    from tests.integration.test_electronic_certificates import ISSUER, TYPE_J
    from tests.two_counters import _login

    ElectronicCertificates(_login(counters.a.db, counters.clock, "admin")).configure(ISSUER, {"J": TYPE_J})
    return ElectronicCertificates


def test_an_electronic_certificate_issued_does_not_make_a_pending_correction_fail(counters, tmp_path):
    """Issuing the couple's electronic certificate at counter 2 changes nothing of the record a clerk reads
    or corrects: counter 1's proposal from its earlier read and the supervisor's approval still go through
    (it used to raise the version, so every pending correction had to be rejected and proposed again)."""
    from registry_app.services.corrections import Corrections

    ecerts = _electronic_ready(counters)
    rid = _marriage(counters.a)
    read_at = _version(counters.a, rid)
    pending = Corrections(counters.a).propose(rid, [{"path": "parties.1.occupation", "new": "教师"}], "当事人申请",
                                              version=read_at)
    ecerts(counters.b).issue(rid, tmp_path / "ecert.pdf")
    assert _version(counters.a, rid) == read_at
    assert DatabaseHealth(counters.a).run().ok            # the issue is still sealed into the trail
    assert Corrections(counters.supervisor_a).approve(pending).status == "approved"
    assert _version(counters.a, rid) == read_at + 1


def test_two_counters_issuing_the_same_electronic_certificate_at_once_both_are_kept(counters, tmp_path, monkeypatch):
    """Counter 1 is writing its PDF when counter 2 issues the same certificate: counter 2 waits for it (the
    certificate row is locked) and gets the next version; neither issue is lost from the certificate's log
    (on PostgreSQL both read the empty log and the later commit overwrote the earlier one's entry)."""
    import threading

    from registry_app.services import electronic_certificates as module

    ecerts = _electronic_ready(counters)
    rid = _marriage(counters.a)
    writing, go, real = threading.Event(), threading.Event(), module.write_atomic

    def slow_first(path, data):
        if path.name == "first.pdf":
            writing.set()
            go.wait(30)
        return real(path, data)

    monkeypatch.setattr(module, "write_atomic", slow_first)
    results = {}
    first = threading.Thread(target=lambda: results.setdefault("a", ecerts(counters.a).issue(rid, tmp_path / "first.pdf")))
    second = threading.Thread(target=lambda: results.setdefault("b", ecerts(counters.b).issue(rid, tmp_path / "second.pdf")))
    first.start()
    assert writing.wait(30)
    second.start()
    second.join(1.0)                                  # counter 2 is through (unlocked) or waiting (locked)
    go.set()
    first.join(30)
    second.join(30)
    assert sorted(r["version"] for r in results.values()) == [1, 2]
    with counters.a.db.read() as s:
        log = s.execute(select(Certificate.data).where(Certificate.record_id == rid)).scalar()["electronic"]
    assert sorted(e["identifier"] for e in log) == sorted(r["identifier"] for r in results.values())


# --- a work item resolved by the province's acknowledgement -------------------------------------------

def test_a_work_item_resolved_by_an_acknowledgement_is_a_change_the_page_is_told_of(counters, tmp_path):
    """The province rejects a registration (a work item opens), the record is corrected and sent again, and
    the next acknowledgement accepts it: the item is resolved by the import. A supervisor's page still
    showing it open is refused as RECORD_CHANGED naming who imported it — the item's version rose and the
    move was audited like a resolution at the desk."""
    from pathlib import Path

    from registry_app.errors import RecordChanged
    from registry_app.services.corrections import Corrections
    from registry_app.sync.keys import KeyRing, ProvinceKeyPair, load_public_key_file, province_keygen
    from registry_app.sync.province import ProvinceState, ReceiverKeys, accept_batch, build_ack, validate_batch
    from registry_app.sync.service import SyncService
    from tests.two_counters import _login

    paths = province_keygen(tmp_path / "province")
    SyncService(_login(counters.a.db, counters.clock, "admin")).set_province_key(paths.public)
    province = ProvinceKeyPair.from_private_file_bytes(paths.private.read_bytes())
    rid = _marriage(counters.a)
    out, state, day = tmp_path / "out", ProvinceState(), counters.clock.today()

    def answered(name: str, **rejects):
        batch = SyncService(counters.a).export(day, out)
        keys = ReceiverKeys([province], KeyRing.of(load_public_key_file(p) for p in sorted(out.glob("office-*.pub"))))
        report = validate_batch(Path(batch.path).read_bytes(), keys, state)
        accept_batch(report, state)
        reject = {ev["event_id"]: "R002" for ev in report.events if ev["event_type"] in rejects.get("types", ())}
        (tmp_path / name).write_bytes(build_ack(report.opened, province_key=province, rejects=reject,
                                                created_at="2026-06-15T20:00:00+08:00"))
        return tmp_path / name

    SyncService(counters.supervisor_a).import_ack(answered("ack1.json", types=("marriage.registered",)))
    (listed,) = SyncService(counters.supervisor_a).work_cases()
    cid = Corrections(counters.a).propose(rid, [{"path": "parties.2.name", "new": "李娜娜"}], "按身份证原件更正")
    Corrections(counters.supervisor_b).approve(cid)
    done = SyncService(counters.supervisor_b).import_ack(answered("ack2.json"))
    assert done.cases_resolved == [listed.id]
    (after,) = SyncService(counters.supervisor_a).work_cases(open_only=False)
    assert (after.status, after.version) == ("resolved", listed.version + 1)
    before = _state(counters.a)
    with pytest.raises(RecordChanged) as e:
        SyncService(counters.supervisor_a).resolve_case(listed.id, "已核实", version=listed.version)
    assert "张主任" in e.value.message and counters.clock.now().strftime("%Y-%m-%d %H:%M") in e.value.message
    assert _state(counters.a) == before


def test_an_electronic_certificate_whose_commit_fails_leaves_no_file(counters, tmp_path):
    """The PDF is written inside the issue's transaction; when the commit itself fails (the server gone,
    a full disk) the file is removed again: no electronic certificate out there that the log lacks."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    ecerts = _electronic_ready(counters)
    rid = _marriage(counters.a)
    before = _state(counters.a)

    def refuse_commit(session):
        if (tmp_path / "ecert.pdf").exists():
            raise OSError("提交失败（测试）")

    event.listen(Session, "before_commit", refuse_commit)
    try:
        with pytest.raises(OSError):
            ecerts(counters.b).issue(rid, tmp_path / "ecert.pdf")
    finally:
        event.remove(Session, "before_commit", refuse_commit)
    assert list(tmp_path.glob("ecert*")) == []
    assert _state(counters.a) == before
    with counters.a.db.read() as s:
        assert "electronic" not in (s.execute(select(Certificate.data).where(Certificate.record_id == rid)).scalar() or {})


# --- hostile --expect-version on the commands ----------------------------------------------------------

NOT_A_VERSION = ["0", "-1", "2147483648", "99999999999999999999999"]
NOT_A_NUMBER = ["abc", "1.5", "", "1e3"]


def test_commands_refuse_hostile_expect_versions_and_write_nothing(db, db_path, clerk_ctx, tmp_path):
    """Every record command with --expect-version: a whole number that is no version is refused with
    VERSION_INVALID (exit 2); text is refused by the option itself (exit 2, naming --expect-version);
    either way nothing is written — not the record, not a number, not an audit entry."""
    from tests.integration.test_versioned_divorce_marriage import applied

    rid = _marriage(clerk_ctx)
    application, _ = applied(clerk_ctx)
    with clerk_ctx.db.read() as s:
        number = s.execute(select(Certificate.number).where(Certificate.record_id == rid)).scalar()
    judgment = tmp_path / "judgment.json"
    judgment.write_text(json.dumps({"court": "南京市玄武区人民法院", "case_number": "（2026）苏0102民初1号",
                                    "judgment_date": "2026-06-15", "effect": "invalid", "ground": "bigamy"},
                                   ensure_ascii=False), "utf-8")
    reissue = tmp_path / "reissue.json"
    reissue.write_text(json.dumps({"reason": "lost", "applicants": [1], "explanation": "遗失"}, ensure_ascii=False), "utf-8")
    commands = [
        ("clerk", ["correction", "propose", str(rid), "--set", "data.remarks=补记", "--reason", "补记"]),
        ("supervisor", ["marriage", "annotate", str(rid), "--input", str(judgment)]),
        ("supervisor", ["marriage", "void", number, "--reason", "卡纸"]),
        ("clerk", ["marriage", "reissue", str(rid), "--input", str(reissue)]),
        ("clerk", ["divorce", "withdraw", str(application), "--party", "1"]),
        ("clerk", ["appointments", "cancel", "1"]),
        ("supervisor", ["sync", "resolve", "1", "--note", "已核实"]),
        ("supervisor", ["adoption", "revoke", str(rid), "--reason", "撤销"]),
    ]
    def invoke(user, *args):
        env = {"REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_USER_PASSWORD": PASSWORDS[user]}
        return CliRunner().invoke(main, ["--db", str(db_path), *args, "--user", user], env=env)

    # the commands run on the machine's day: the divorce commands' sweep of overdue applications runs first
    assert invoke("clerk", "divorce", "pending").exit_code == 0
    before = _state(clerk_ctx)
    with clerk_ctx.db.read() as s:
        last_entry = s.execute(select(func.max(AuditEntry.id))).scalar()
    for user, args in commands:
        for value in NOT_A_VERSION + NOT_A_NUMBER:
            result = invoke(user, *args, "--expect-version", value)
            assert result.exit_code == 2, (args, value, result.output)
            if value in NOT_A_VERSION:
                assert [e["code"] for e in json.loads(result.output)["errors"]] == ["VERSION_INVALID"], (args, value)
            else:
                assert "--expect-version" in result.output, (args, value, result.output)
    after = _state(clerk_ctx)
    with clerk_ctx.db.read() as s:   # signing in is all that was audited
        added = set(s.execute(select(AuditEntry.action).where(AuditEntry.id > last_entry)).scalars())
    assert added <= {"login"}, added
    assert {**after, "audit": 0} == {**before, "audit": 0}


# --- an office from before versions (revision 0012) upgraded --------------------------------------------

def test_an_office_from_before_versions_upgrades_with_db_check_clean_and_edits_versioned(counters):
    """A database as revision 0012 left it — a registered marriage with a correction pending, a divorce in
    cooling-off, a booking — upgraded through 0013 and 0014: every row starts at version 1, `db check` is
    clean, the pending correction (proposed before versions) is still approved, and from then on an edit
    from an older read is refused."""
    from alembic import command

    from registry_app.errors import RecordChanged
    from registry_app.services.appointments import Appointments
    from registry_app.services.corrections import Corrections
    from registry_app.services.workspace import upgrade_schema
    from registry_app.storage.migrate import _config, current_revision, head_revision
    from tests.integration.test_versioned_divorce_marriage import applied

    rid = _marriage(counters.a)
    application, _ = applied(counters.a)
    pending = Corrections(counters.a).propose(rid, [{"path": "parties.1.occupation", "new": "教师"}], "当事人申请")
    slot = Appointments(counters.supervisor_a).open_slot(counters.clock.today(), "1号窗口", "09:00", "10:00", 3)
    booking = Appointments(counters.a).book(slot.id, "marriage", "张伟、李娜")
    counters.b.db.engine.dispose()                   # counter 2 is closed while the program is replaced
    cfg = _config()
    with counters.a.db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        if counters.engine == "sqlcipher":   # 0013's downgrade rebuilds `records`, which parties refer to
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")  # outside a transaction
        command.downgrade(cfg, "0012")
        conn.commit()
        if counters.engine == "sqlcipher":
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")
    assert current_revision(counters.a.db) == "0012"
    upgrade_schema(counters.a.db, counters.clock)
    assert current_revision(counters.a.db) == head_revision()
    health = DatabaseHealth(counters.a).run()
    assert health.ok, health
    with counters.a.db.read() as s:
        assert set(s.execute(select(Record.version)).scalars()) == {1}
        assert s.get(Correction, pending).record_version is None
    assert Corrections(counters.supervisor_a).approve(pending).status == "approved"   # proposed before versions
    assert _version(counters.a, rid) == 2
    with pytest.raises(RecordChanged):
        Corrections(counters.b).propose(rid, [{"path": "data.remarks", "new": "补记"}], "补记", version=1)
    assert Appointments(counters.b).cancel(booking.id, "改期", version=1).version == 2
    assert DatabaseHealth(counters.a).run().ok
