"""Access: a role × operation table over every permission-checked service operation (each refusal
audited as `access.denied`), refusals audited even when the refused operation rolls back, and wrong
supervisor approval passwords counted towards that supervisor's lock-out."""
from __future__ import annotations

import ast
import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from registry_app.clock import FixedClock
from registry_app.domain.roles import Permission, Role
from registry_app.errors import AuthenticationFailed, PermissionDenied, RegistryError
from registry_app.services.accounts import Accounts
from registry_app.services.context import AppContext
from registry_app.services.office_setup import OfficeSetup, initialise
from registry_app.storage.models import AuditEntry, PrintJob, User
from tests.conftest import OFFICE_CODE, OFFICE_NAME, PASSPHRASE, PASSWORDS

ROOT = Path(__file__).resolve().parents[2]
D = dt.date


def _svc(module: str, name: str):
    import importlib

    return getattr(importlib.import_module(module), name)


def S(name):  # noqa: N802 — a service class by its short name
    return {
        "Accounts": ("registry_app.services.accounts", "Accounts"),
        "AdoptionService": ("registry_app.services.adoption", "AdoptionService"),
        "ArchiveImport": ("registry_app.services.archive_import", "ArchiveImport"),
        "Backups": ("registry_app.services.backup", "Backups"),
        "HolidaySchedules": ("registry_app.services.calendar", "HolidaySchedules"),
        "KeyManagement": ("registry_app.services.office_keys", "KeyManagement"),
        "CertificatePrinting": ("registry_app.services.certificate_print", "CertificatePrinting"),
        "Corrections": ("registry_app.services.corrections", "Corrections"),
        "DivorceService": ("registry_app.services.divorce", "DivorceService"),
        "DivorceDocuments": ("registry_app.services.divorce_documents", "DivorceDocuments"),
        "JointService": ("registry_app.services.joint_service", "JointService"),
        "MarriageService": ("registry_app.services.marriage", "MarriageService"),
        "CertificateReissue": ("registry_app.services.reissue", "CertificateReissue"),
        "RecordProof": ("registry_app.services.record_proof", "RecordProof"),
        "CourtAnnotation": ("registry_app.services.court_annotation", "CourtAnnotation"),
        "CertificateVoiding": ("registry_app.services.certificate_voiding", "CertificateVoiding"),
        "OfficeAdmin": ("registry_app.services.office_admin", "OfficeAdmin"),
        "PrintingSetup": ("registry_app.services.printing_setup", "PrintingSetup"),
        "RecordHistory": ("registry_app.services.record_history", "RecordHistory"),
        "RecordSearch": ("registry_app.services.search", "RecordSearch"),
        "Statistics": ("registry_app.services.statistics", "Statistics"),
        "BlankStock": ("registry_app.services.stock", "BlankStock"),
        "SyncService": ("registry_app.sync.service", "SyncService"),
        "Appointments": ("registry_app.services.appointments", "Appointments"),
        "PeakDays": ("registry_app.services.peak_days", "PeakDays"),
        "Queue": ("registry_app.services.queue", "Queue"),
        "ElectronicCertificates": ("registry_app.services.electronic_certificates", "ElectronicCertificates"),
        "Ceremonies": ("registry_app.services.ceremonies", "Ceremonies"),
    }[name]


def op(service: str, method: str, *args, **kwargs):
    def call(ctx: AppContext, tmp: Path):
        real = [a(tmp) if callable(a) else a for a in args]
        return getattr(_svc(*S(service))(ctx), method)(*real, **kwargs)
    return call


def case():
    from tests.factories import marriage_case

    from registry_app.services.marriage import MarriageCase

    return MarriageCase.from_dict(marriage_case())


C, SV, A = "clerk", "supervisor", "admin"
CASEWORK = {C, SV}
# (operation, roles allowed, the call). Arguments are chosen so an allowed call stops, harmlessly, at the
# first thing after the permission check (a record that does not exist, an empty input).
TABLE: list[tuple[str, set[str], object]] = [
    ("Accounts.add", {A}, op("Accounts", "add", "", "", "clerk", "")),
    ("Accounts.list", {A}, op("Accounts", "list")),
    ("Accounts.set_disabled", {A}, op("Accounts", "set_disabled", "nobody", True)),
    ("Accounts.reset_password", {A}, op("Accounts", "reset_password", "nobody", "x")),
    ("AdoptionService.register", CASEWORK, op("AdoptionService", "register", {})),
    ("AdoptionService.check_dissolution", CASEWORK, op("AdoptionService", "check_dissolution", 999999, {})),
    ("AdoptionService.dissolve", CASEWORK, op("AdoptionService", "dissolve", 999999, {})),
    ("AdoptionService.revoke", {SV}, op("AdoptionService", "revoke", 999999, "")),
    ("AdoptionService.view", CASEWORK, op("AdoptionService", "view", 999999)),
    ("ArchiveImport.run", CASEWORK, op("ArchiveImport", "run", lambda tmp: tmp / "missing.csv")),
    ("Backups.configure", {A}, op("Backups", "configure", "", -1)),
    ("Backups.backup_to", {A}, op("Backups", "backup_to", lambda tmp: tmp / "no-dir" / "b.bak")),
    ("Backups.backup_now", {A}, op("Backups", "backup_now")),
    ("HolidaySchedules.import_file", {A}, op("HolidaySchedules", "import_file", b"", "x.json")),
    ("HolidaySchedules.preview_notice", {A}, op("HolidaySchedules", "preview_notice", "")),
    ("HolidaySchedules.import_notice", {A}, op("HolidaySchedules", "import_notice", "")),
    ("KeyManagement.keys", {A}, op("KeyManagement", "keys")),
    ("KeyManagement.inspect_key_file", {A}, op("KeyManagement", "inspect_key_file", lambda tmp: tmp / "missing.pub")),
    ("CertificatePrinting.render", CASEWORK, op("CertificatePrinting", "render", 999999)),
    ("CertificatePrinting.preview", CASEWORK, op("CertificatePrinting", "preview", 999999)),
    ("CertificatePrinting.reprint_needed", CASEWORK, op("CertificatePrinting", "reprint_needed", 999999)),
    ("CertificatePrinting.approve_reprint", CASEWORK, op("CertificatePrinting", "approve_reprint", "", "")),
    ("ElectronicCertificates.issue", CASEWORK,
     op("ElectronicCertificates", "issue", 999999, lambda tmp: tmp / "e.pdf")),
    ("ElectronicCertificates.configure", {A}, op("ElectronicCertificates", "configure", issuer_code="")),
    ("Corrections.propose", CASEWORK, op("Corrections", "propose", 999999, [], "")),
    ("Corrections.approve", {SV}, op("Corrections", "approve", 999999)),
    ("Corrections.reject", {SV}, op("Corrections", "reject", 999999, "")),
    ("Corrections.history", CASEWORK, op("Corrections", "history", 999999)),
    ("Corrections.pending", {SV}, op("Corrections", "pending")),
    ("DivorceService.find_marriage", CASEWORK, op("DivorceService", "find_marriage", "", "")),
    ("DivorceService.apply", CASEWORK, op("DivorceService", "apply", {})),
    ("DivorceService.check", CASEWORK, op("DivorceService", "check", {})),
    ("DivorceService.withdraw", CASEWORK, op("DivorceService", "withdraw", 999999, 1)),
    ("DivorceService.issue", CASEWORK, op("DivorceService", "issue", 999999, both_present=True, questioning={},
                                          signed=True)),
    ("DivorceService.pending", CASEWORK, op("DivorceService", "pending")),
    ("DivorceService.view", CASEWORK, op("DivorceService", "view", 999999)),
    ("DivorceDocuments.acknowledgement_slip", CASEWORK, op("DivorceDocuments", "acknowledgement_slip", 999999)),
    ("DivorceDocuments.withdrawal_confirmation", CASEWORK,
     op("DivorceDocuments", "withdrawal_confirmation", 999999)),
    ("DivorceDocuments.refusal_notice", CASEWORK, op("DivorceDocuments", "refusal_notice", [], [])),
    ("JointService.request", CASEWORK, op("JointService", "request", 999999, "hukou_marital", [1, 2])),
    ("JointService.withdraw", CASEWORK, op("JointService", "withdraw", 999999, 1)),
    ("JointService.list", CASEWORK, op("JointService", "list", 999999)),
    ("JointService.receipt", CASEWORK, op("JointService", "receipt", 999999)),
    ("MarriageService.check", CASEWORK, lambda ctx, tmp: _svc(*S("MarriageService"))(ctx).check(case())),
    ("MarriageService.accept", CASEWORK, lambda ctx, tmp: _svc(*S("MarriageService"))(ctx).accept(case())),
    ("MarriageService.review", CASEWORK, op("MarriageService", "review", 999999, True)),
    ("MarriageService.register", CASEWORK, op("MarriageService", "register", 999999)),
    ("MarriageService.register_case", CASEWORK, lambda ctx, tmp: _svc(*S("MarriageService"))(ctx).register_case(
        case())),
    ("MarriageService.cancel", CASEWORK, op("MarriageService", "cancel", 999999, "")),
    ("MarriageService.correct", CASEWORK, lambda ctx, tmp: _svc(*S("MarriageService"))(ctx).correct(999999, case())),
    ("MarriageService.view", CASEWORK, op("MarriageService", "view", 999999)),
    ("CertificateReissue.reissue", CASEWORK, op("CertificateReissue", "reissue", 999999, {})),
    ("RecordProof.record_proof", CASEWORK, op("RecordProof", "record_proof", "")),
    ("CourtAnnotation.annotate_judgment", {SV}, op("CourtAnnotation", "annotate_judgment", 999999, {})),
    ("CertificateVoiding.void_certificate", {SV}, op("CertificateVoiding", "void_certificate", "J0", "")),
    ("OfficeAdmin.update", {A}, op("OfficeAdmin", "update", {"no_such_setting": 1})),
    ("PrintingSetup.calibrations", CASEWORK, op("PrintingSetup", "calibrations")),
    ("PrintingSetup.calibration", CASEWORK, op("PrintingSetup", "calibration", "no-such")),
    ("PrintingSetup.save_calibration", CASEWORK, op("PrintingSetup", "save_calibration", "", 99.0, 99.0)),
    ("PrintingSetup.delete_calibration", CASEWORK, op("PrintingSetup", "delete_calibration", "no-such")),
    ("PrintingSetup.find_record", CASEWORK, op("PrintingSetup", "find_record", "J320102-1999-999999")),
    ("PrintingSetup.day_certificates", CASEWORK, op("PrintingSetup", "day_certificates", D(1999, 1, 4))),
    ("PrintingSetup.render_day", CASEWORK, op("PrintingSetup", "render_day", D(1999, 1, 4))),
    ("RecordHistory.record", CASEWORK, op("RecordHistory", "record", 999999)),
    ("RecordSearch.search", CASEWORK, op("RecordSearch", "search", "张伟")),
    ("Statistics.report", {SV, A}, op("Statistics", "report", "1999-13")),
    ("BlankStock.receive", {SV}, op("BlankStock", "receive", "marriage", "", "")),
    ("BlankStock.spoil", CASEWORK, op("BlankStock", "spoil", "NO-SUCH", "")),
    ("BlankStock.summary", CASEWORK, op("BlankStock", "summary")),
    ("SyncService.import_ack", {SV, A}, op("SyncService", "import_ack", lambda tmp: tmp / "missing.ack")),
    ("SyncService.export", CASEWORK, op("SyncService", "export", "1999-01-04", lambda tmp: tmp / "outbox")),
    ("SyncService.reexport", CASEWORK, op("SyncService", "reexport", "1999-01-04", lambda tmp: tmp / "outbox")),
    ("SyncService.release_orphan", {SV}, op("SyncService", "release_orphan", "no-such.batch", "")),
    ("SyncService.import_reference", {SV, A}, op("SyncService", "import_reference", lambda tmp: tmp / "missing")),
    ("SyncService.reference_status", {C, SV, A}, op("SyncService", "reference_status")),
    ("SyncService.set_province_key", {A}, op("SyncService", "set_province_key", lambda tmp: tmp / "missing.pub")),
    ("SyncService.export_office_public_key", {C, SV, A},
     op("SyncService", "export_office_public_key", lambda tmp: tmp / "no-dir" / "office.pub")),
    ("SyncService.rotate_office_key", {A}, op("SyncService", "rotate_office_key")),
    ("SyncService.close_day_check", {C, SV, A}, op("SyncService", "close_day_check", "1999-01-04")),
    ("SyncService.batches", {C, SV, A}, op("SyncService", "batches")),
    ("SyncService.work_cases", {SV, A}, op("SyncService", "work_cases")),
    ("SyncService.resolve_case", {SV}, op("SyncService", "resolve_case", 999999, "")),
    ("SyncService.office_public_key_id", {C, SV, A}, op("SyncService", "office_public_key_id")),
    ("Appointments.open_slot", {SV}, op("Appointments", "open_slot", D(1999, 1, 4), "1", "09:00", "10:00", 1)),
    ("Appointments.slots", CASEWORK, op("Appointments", "slots", D(1999, 1, 4))),
    ("Appointments.book", CASEWORK, op("Appointments", "book", 999999, "marriage", "张三")),
    ("Appointments.bookings", CASEWORK, op("Appointments", "bookings", D(1999, 1, 4))),
    ("Appointments.details", CASEWORK, op("Appointments", "details", 999999)),
    ("Appointments.change", CASEWORK, op("Appointments", "cancel", 999999)),
    ("Appointments.closing_windows", CASEWORK, op("Appointments", "closing_windows")),
    ("PeakDays.for_year", CASEWORK, op("PeakDays", "for_year", 1899)),
    ("PeakDays.add", {SV}, op("PeakDays", "add", D(1999, 1, 4), "")),
    ("Queue.issue", CASEWORK, op("Queue", "issue", "no-such-service")),
    ("Queue.call_next", CASEWORK, op("Queue", "call_next", "")),
    ("Queue.step", CASEWORK, op("Queue", "finish", 999999)),
    ("Queue.tickets", CASEWORK, op("Queue", "tickets", D(1999, 1, 4))),
    ("Ceremonies.add", CASEWORK, op("Ceremonies", "add", "ceremony", D(1999, 1, 4), "", "")),
    ("Ceremonies.add_couple", CASEWORK, op("Ceremonies", "add_couple", 999999, 999999)),
    ("Ceremonies.list", CASEWORK, op("Ceremonies", "list", D(1999, 1, 4))),
    ("Ceremonies.print", CASEWORK, op("Ceremonies", "print", 999999)),
]
# Permission checks that are not operations of their own: log_print runs inside render / render_day,
# _require_any is the sync services' helper. A private `_accept` is the half of `accept` that checks.
NOT_OPERATIONS = {"CertificatePrinting.log_print", "SyncBase.require_any"}


def checked_operations() -> set[str]:
    """Every class method under registry_app that asks AppContext for a permission."""
    found = set()
    classes = {"ExportMixin": "SyncService", "AckMixin": "SyncService", "ReferenceMixin": "SyncService",
               "ReconcileMixin": "SyncService"}
    for path in (ROOT / "registry_app").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
                if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                       and n.func.attr in ("require", "require_any", "_require_any") for n in ast.walk(fn)):
                    found.add(f"{classes.get(cls.name, cls.name)}.{fn.name.lstrip('_')}")
    return found - NOT_OPERATIONS


def test_the_table_covers_every_permission_checked_operation():
    assert {name for name, _roles, _call in TABLE} == checked_operations()


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("access")
    clock = FixedClock(D(2026, 6, 15))
    db = initialise(OfficeSetup(OFFICE_CODE, OFFICE_NAME, PASSPHRASE, "admin", "王管理", PASSWORDS["admin"]),
                    tmp / "office.db", clock)
    ctx = AppContext(db=db, clock=clock)
    with db.write() as s:
        Accounts(ctx).create_user(s, "clerk", "李登记", Role.CLERK, PASSWORDS["clerk"], must_change=False)
        Accounts(ctx).create_user(s, "supervisor", "张主任", Role.SUPERVISOR, PASSWORDS["supervisor"],
                                  must_change=False)
    users = {}
    for name in (C, SV, A):
        users[name] = AppContext(db=db, clock=clock)
        users[name].user = Accounts(users[name]).login(name, PASSWORDS[name])
    yield users, tmp
    db.close()


def denials(db) -> list[AuditEntry]:
    with db.read() as s:
        return list(s.execute(select(AuditEntry).where(AuditEntry.action == "access.denied")
                              .order_by(AuditEntry.id)).scalars())


@pytest.mark.parametrize("role", [C, SV, A])
@pytest.mark.parametrize("name, allowed, call", TABLE, ids=[r[0] for r in TABLE])
def test_role_by_operation(office, role, name, allowed, call):
    users, tmp = office
    ctx = users[role]
    before = denials(ctx.db)
    outcome = None
    try:
        call(ctx, tmp)
    except PermissionDenied as exc:
        outcome = exc
    except RegistryError:
        pass  # past the permission check: refused for what it asked, not for who asked
    after = denials(ctx.db)
    if role in allowed:
        assert outcome is None or outcome.code != "PERMISSION_DENIED", outcome
        assert [e.id for e in after] == [e.id for e in before]
    else:
        assert outcome is not None and outcome.code == "PERMISSION_DENIED"
        [entry] = after[len(before):]
        assert (entry.username, entry.role) == (role, role)
        assert entry.entity_type == "permission" and entry.detail["code"] == "PERMISSION_DENIED"
        assert Permission(entry.entity_id)  # names the permission that was missing
        assert entry.detail["operation"].split(".")[-1].lstrip("_") == name.split(".")[-1]


# --- refusals outlive the refused operation ----------------------------------------------------

def _count(db, action: str) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)).scalar()


def test_refusals_without_a_user_or_before_the_first_password_change_are_audited(db, clock):
    from registry_app.services.marriage import MarriageService

    with pytest.raises(PermissionDenied) as err:
        MarriageService(AppContext(db=db, clock=clock)).view(1)
    assert err.value.code == "NOT_LOGGED_IN"
    with db.write() as s:
        Accounts(AppContext(db=db, clock=clock)).create_user(s, "newbie", "新员工", Role.CLERK, "Fresh-start-2026")
    ctx = AppContext(db=db, clock=clock)
    ctx.user = Accounts(ctx).login("newbie", "Fresh-start-2026")
    with pytest.raises(PermissionDenied) as err:
        MarriageService(ctx).view(1)
    assert err.value.code == "PASSWORD_CHANGE_REQUIRED"
    first, second = denials(db)[-2:]
    assert (first.username, first.detail["code"]) == ("?", "NOT_LOGGED_IN")
    assert (second.username, second.detail["code"], second.detail["operation"]) == (
        "newbie", "PASSWORD_CHANGE_REQUIRED", "MarriageService.view")


def _in_a_thread(fn, timeout: float = 60.0):
    """Run fn; fail (rather than hang) if a second writer waits for the first."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "deadlock: the refusal waited for the transaction it was refused in"
    if "error" in box:
        raise box["error"]
    return box.get("value")


def test_a_refusal_inside_an_open_write_transaction_is_recorded_after_its_rollback(db, clerk_ctx):
    from registry_app.services import audit

    def refused_midway():
        with db.write() as s:
            audit.record(clerk_ctx, s, "test.step", "test", 1)   # the transaction holds the write lock
            clerk_ctx.require(Permission.MANAGE_USERS)

    with pytest.raises(PermissionDenied):
        _in_a_thread(refused_midway)
    assert _count(db, "test.step") == 0           # the operation rolled back
    [entry] = denials(db)                          # the refusal did not
    assert (entry.username, entry.entity_id, entry.detail["operation"]) == (
        "clerk", "manage_users", "test_a_refusal_inside_an_open_write_transaction_is_recorded_after_its_rollback"
        ".<locals>.refused_midway")


def test_a_refusal_outside_any_transaction_is_recorded_at_once(db, clerk_ctx):
    from registry_app.services.statistics import Statistics

    with pytest.raises(PermissionDenied):
        _in_a_thread(lambda: Statistics(clerk_ctx).report("2026"))
    [entry] = denials(db)
    assert (entry.username, entry.role, entry.entity_id) == ("clerk", "clerk", "statistics")


# --- supervisor approvals --------------------------------------------------------------------------

def _printed_marriage(clerk_ctx) -> int:
    from registry_app.services.certificate_print import CertificatePrinting
    from registry_app.services.marriage import MarriageService

    result = MarriageService(clerk_ctx).register_case(case())
    CertificatePrinting(clerk_ctx).render(result.record_id)   # copy 1: the next one is a reprint
    return result.record_id


def _failures(db, username: str) -> tuple[int, object]:
    with db.read() as s:
        u = s.execute(select(User).where(User.username == username)).scalar_one()
        return u.failed_logins, u.locked_until


def test_wrong_approver_passwords_lock_the_supervisor_and_are_audited(db, clock, clerk_ctx):
    from registry_app.services.certificate_print import CertificatePrinting

    record_id = _printed_marriage(clerk_ctx)
    printing = CertificatePrinting(clerk_ctx)
    guesses = ["guess-0001x", "guess-0002x", "guess-0003x", "guess-0004x", "guess-0005x"]
    for i, guess in enumerate(guesses, start=1):
        # alternately the early check at the counter and the check inside the print transaction
        with pytest.raises(PermissionDenied) as err:
            if i % 2:
                _in_a_thread(lambda g=guess: printing.render(record_id, approved_by="supervisor",
                                                             approver_password=g))
            else:
                printing.approve_reprint("supervisor", guess)
        assert err.value.code == "APPROVER_INVALID"
    failures, locked_until = _failures(db, "supervisor")
    assert failures == 0 and locked_until is not None          # the fifth locked the account
    with pytest.raises(PermissionDenied) as err:                # the right password no longer helps
        printing.render(record_id, approved_by="supervisor", approver_password=PASSWORDS["supervisor"])
    assert err.value.code == "APPROVER_LOCKED"
    with pytest.raises(AuthenticationFailed) as err:            # nor a login
        Accounts(AppContext(db=db, clock=clock)).login("supervisor", PASSWORDS["supervisor"])
    assert err.value.code == "ACCOUNT_LOCKED"
    with db.read() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "auth.approval_failed")
                            .order_by(AuditEntry.id)).scalars().all()
        copies = s.execute(select(PrintJob.copy_no)).scalars().all()
    assert [e.detail["why"] for e in entries] == ["bad_password"] * 5 + ["locked"]
    assert [e.detail.get("failures") for e in entries[:4]] == [1, 2, 3, 4]
    assert entries[4].detail["locked_minutes"] == 15
    assert {(e.username, e.entity_id) for e in entries} == {("clerk", "supervisor")}
    assert copies == [1]                                        # every refused reprint rolled back
    clock.advance(minutes=16)
    assert printing.approve_reprint("supervisor", PASSWORDS["supervisor"]) == "supervisor"
    printing.render(record_id, approved_by="supervisor", approver_password=PASSWORDS["supervisor"])
    with db.read() as s:
        assert s.execute(select(PrintJob.copy_no)).scalars().all() == [1, 2]


@pytest.mark.parametrize("username, password, code, why, counted", [
    ("nobody", "whatever-123", "APPROVER_INVALID", "unknown_user", False),
    ("supervisor", "", "APPROVAL_INCOMPLETE", None, False),
    ("clerk2", PASSWORDS["clerk"], "NOT_A_SUPERVISOR", "not_permitted", False),
    ("supervisor", "wrong-pass-123", "APPROVER_INVALID", "bad_password", True),
])
def test_each_approval_failure_is_audited(db, clerk_ctx, username, password, code, why, counted):
    from registry_app.services.certificate_print import CertificatePrinting

    with pytest.raises(RegistryError) as err:
        CertificatePrinting(clerk_ctx).approve_reprint(username, password)
    assert err.value.code == code
    with db.read() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "auth.approval_failed")).scalars().all()
    assert [e.detail["why"] for e in entries] == ([why] if why else [])
    assert _failures(db, "supervisor")[0] == (1 if counted else 0)


def test_a_disabled_approver_is_refused_and_audited(db, clerk_ctx, admin_ctx):
    from registry_app.services.certificate_print import CertificatePrinting

    Accounts(admin_ctx).set_disabled("supervisor", True, "离职")
    with pytest.raises(PermissionDenied) as err:
        CertificatePrinting(clerk_ctx).approve_reprint("supervisor", PASSWORDS["supervisor"])
    assert err.value.code == "APPROVER_INVALID"
    with db.read() as s:
        why = s.execute(select(AuditEntry.detail).where(AuditEntry.action == "auth.approval_failed")).scalar_one()
    assert why["why"] == "disabled"


def test_a_right_approval_resets_the_count(db, clerk_ctx):
    from registry_app.services.certificate_print import CertificatePrinting

    printing = CertificatePrinting(clerk_ctx)
    for _ in range(3):
        with pytest.raises(PermissionDenied):
            printing.approve_reprint("supervisor", "wrong-pass-123")
    assert _failures(db, "supervisor")[0] == 3
    printing.approve_reprint("supervisor", PASSWORDS["supervisor"])
    assert _failures(db, "supervisor")[0] == 0
