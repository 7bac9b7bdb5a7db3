"""Tables. Personal data lives only here, inside the encrypted database file.

Records of every kind (marriage, divorce, adoption) share one `records` table with their parties in
`parties`: the marital-status check, search and statistics then read one place whatever the kind,
and kind-specific facts sit in the JSON `data` column, validated by the services.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from registry_app.domain.states import (
    BatchState,
    BlankState,
    CertificateState,
    CorrectionState,
    JointRequestState,
    SyncState,
    WorkCaseState,
)


class Base(DeclarativeBase):
    pass


class Setting(Base):
    """Office configuration: one row per key (office code, name, flags, policies)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Hash-chained audit trail: entry_hash = SHA-256(prev_hash + canonical entry)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[str] = mapped_column(String(40))
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)

    # a record's page lists its own entries (revision 0003)
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)


class Record(Base):
    """One registration case: a marriage, a divorce application, an adoption."""

    __tablename__ = "records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(24))
    office_code: Mapped[str] = mapped_column(String(6))
    application_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    registration_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    certificate_no: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    back_entered: Mapped[bool] = mapped_column(Boolean, default=False)
    # The paper file's number (档案号) of a back-entered record: a column with an index (revision 0004),
    # so an archive import checks its rows against those on record without reading every old record.
    archive_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    linked_record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), nullable=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Versioned edits (revision 0013): raised by every transaction that changes the record's state (its row,
    # parties, certificates, documents); an edit carrying an older version is refused (services/versions.py).
    # Who and when are the last change's, for the refusal to name. Bookkeeping, not content: not digested.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    changed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    parties: Mapped[list[Party]] = relationship(
        back_populates="record", order_by="Party.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_records_kind_status", "kind", "status"),
        Index("ix_records_registration_date", "registration_date"),
        Index("ix_records_linked", "linked_record_id"),  # revision 0003
        Index("ix_records_archive_no", "archive_no"),  # revision 0004
    )


class Party(Base):
    """A person in a record, in a role (party1/party2, adopter, adoptee, placing parent...)."""

    __tablename__ = "parties"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(64))
    name_initials: Mapped[str] = mapped_column(String(16), default="")
    sex: Mapped[str | None] = mapped_column(String(1), nullable=True)
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    id_type: Mapped[str] = mapped_column(String(24))
    id_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    id_tail: Mapped[str | None] = mapped_column(String(6), nullable=True)
    nationality: Mapped[str] = mapped_column(String(32), default="中国")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # A copy of the record's registration date, so that name search reads its page from the index
    # alone (revision 0004); kept in step by registry_app.storage.denormalized.
    registration_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

    record: Mapped[Record] = relationship(back_populates="parties")

    __table_args__ = (
        Index("ix_parties_id_number", "id_number"),
        Index("ix_parties_id_tail", "id_tail"),
        Index("ix_parties_name_date", "name", "registration_date", "record_id"),  # revision 0004
        Index("ix_parties_initials_date", "name_initials", "registration_date", "record_id"),
        Index("ix_parties_record", "record_id"),
    )


class CertificateSequence(Base):
    """Last number issued per scope (office or county), certificate type and year: gap-free numbering."""

    __tablename__ = "certificate_sequences"
    scope: Mapped[str] = mapped_column(String(6), primary_key=True)
    cert_type: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Certificate(Base):
    """Every certificate number ever issued; a voided one stays, never reused."""

    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    cert_type: Mapped[str] = mapped_column(String(4))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    holder_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    blank_serial: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=CertificateState.ISSUED.value)
    void_reason: Mapped[str] = mapped_column(Text, default="")
    voided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # How often a certificate was printed is the number of its print_jobs rows (revision 0005 dropped
    # the counter that repeated it).

    __table_args__ = (Index("ix_certificates_record", "record_id"),)


class BlankCertificate(Base):
    """Inventory of pre-printed blank booklets by their printed serial (印制号)."""

    __tablename__ = "blank_stock"
    serial: Mapped[str] = mapped_column(String(32), primary_key=True)
    booklet_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=BlankState.AVAILABLE.value)
    received_on: Mapped[dt.date] = mapped_column(Date)
    received_by: Mapped[str] = mapped_column(String(64))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), nullable=True)
    spoiled_reason: Mapped[str] = mapped_column(Text, default="")
    spoiled_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Document(Base):
    """Attached files (photos, scanned declarations), held inside the encrypted database."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_documents_record", "record_id"),)  # revision 0003


class RecordEvent(Base):
    """Outbound events for the provincial sync, numbered gap-free per office (`seq`)."""

    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), nullable=True)
    business_date: Mapped[dt.date] = mapped_column(Date)
    occurred_at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    batch_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sync_status: Mapped[str] = mapped_column(String(16), default=SyncState.PENDING.value)
    sync_code: Mapped[str | None] = mapped_column(String(16), nullable=True)

    __table_args__ = (
        Index("ix_events_record", "record_id"),
        Index("ix_events_batch", "batch_seq"),
        Index("ix_events_status", "sync_status"),  # revision 0003
    )


class CalendarYear(Base):
    """An imported State Council holiday schedule for one year (beyond what the package ships)."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    holidays: Mapped[list] = mapped_column(JSON)
    workdays: Mapped[list] = mapped_column(JSON)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ChainHead(Base):
    """One row per hash chain / sequence that writers must take in turn (audit, events)."""

    __tablename__ = "chain_heads"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))


# --- revision 0002: keys, sync, corrections, printing -------------------------------------------


class KeyMaterial(Base):
    """Office signing keys (private part inside the encrypted database) and trusted public keys.
    Rotation adds a row and deactivates the old one; old public keys stay for verification."""

    __tablename__ = "keys"
    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(24))  # office_signing | province_public
    owner: Mapped[str] = mapped_column(String(32))
    public_data: Mapped[dict] = mapped_column(JSON)
    private_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Batch(Base):
    """An exported end-of-day batch file: the chain of batches the province checks.

    A batch is recorded `pending` (with the exact hash of the file about to be written) and committed
    before its file appears, then marked `written` with its events (revision 0006); a pending batch
    left by a crash is adopted or dropped by the sync service's reconcile."""

    __tablename__ = "batches"
    batch_seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    business_date: Mapped[dt.date] = mapped_column(Date)
    file_name: Mapped[str] = mapped_column(String(64))
    file_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    first_event_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_event_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(64))
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=BatchState.WRITTEN.value,
                                        server_default=BatchState.WRITTEN.value)
    chain_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # SHA-256 of the signed manifest
    manifest_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # the audit chain head the manifest carries (v2), re-used as is when the batch is re-exported
    audit_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audit_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    training: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # where the file was written: {"dir": ..., "host": ...}, so a reconcile looks in the right place
    outbox: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class Acknowledgement(Base):
    __tablename__ = "acknowledgements"
    ack_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    batch_seq: Mapped[int] = mapped_column(ForeignKey("batches.batch_seq"))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    imported_by: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict] = mapped_column(JSON)


class WorkCase(Base):
    """Supervisor work list: sync rejections to correct and resend, conflicts to investigate."""

    __tablename__ = "work_cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default=WorkCaseState.OPEN.value)
    event_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), nullable=True)
    code: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolution: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # revision 0013

    __table_args__ = (Index("ix_work_cases_record", "record_id"),)  # revision 0003


class ReferenceEntry(Base):
    """The province's marital-status extract, keyed by a keyed hash of the ID number."""

    __tablename__ = "reference_entries"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))


class Correction(Base):
    """A proposed change to a record (更正): proposed by a clerk, decided by a supervisor."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    changes: Mapped[list] = mapped_column(JSON)  # [{"path": ..., "old": ..., "new": ...}]
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=CorrectionState.PROPOSED.value)
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    # the record's version the proposal was made against (revision 0013): approving after it changed is refused
    record_version: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index("ix_corrections_record", "record_id"),)


class PrintJob(Base):
    """Every print of a certificate: numbered copies; a reprint after the first needs a supervisor."""

    __tablename__ = "print_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    copy_no: Mapped[int] = mapped_column(Integer)
    blank_serial: Mapped[str | None] = mapped_column(String(32), nullable=True)
    printed_by: Mapped[str] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    printed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("certificate_id", "copy_no"),)


class PrinterCalibration(Base):
    __tablename__ = "printer_calibrations"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    dx_mm: Mapped[float] = mapped_column()
    dy_mm: Mapped[float] = mapped_column()
    scale: Mapped[float] = mapped_column(default=1.0)


# --- revision 0009: the joint service (婚育户一件事) ---------------------------------------------


class JointRequest(Base):
    """One thing the couple asked the office to pass on to another department (公安, 卫健), with each
    party's consent (who, when, what, to whom). The personal data it carries stays here, inside the
    encrypted database; the batch event built from it at export carries only the department's fields."""

    __tablename__ = "joint_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    request_type: Mapped[str] = mapped_column(String(32))
    department: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default=JointRequestState.REQUESTED.value)
    consents: Mapped[list] = mapped_column(JSON, default=list)
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # what the clerk keyed in for this request
    event_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_joint_requests_record", "record_id"),
                      Index("ix_joint_requests_status", "status"))


# --- revision 0010: the counter's day (appointments, peak days, the queue) --------------------------


class AppointmentSlot(Base):
    """A counter's bookable time on a day, with its quota (set by a supervisor)."""

    __tablename__ = "appointment_slots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    counter: Mapped[str] = mapped_column(String(16))
    start: Mapped[str] = mapped_column(String(5))   # HH:MM
    end: Mapped[str] = mapped_column(String(5))
    quota: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("day", "counter", "start", name="uq_appointment_slots_day_counter_start"),
                      Index("ix_appointment_slots_day", "day"))


class Appointment(Base):
    """A booking by phone or walk-in, entered by staff. The names, phone and the details keyed in ahead
    are personal data: they stay here, inside the encrypted database. Nothing is registered from it."""

    __tablename__ = "appointments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("appointment_slots.id"))
    service: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))   # AppointmentState
    names: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(32), default="")
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), nullable=True)  # divorce collection
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    booked_by: Mapped[str] = mapped_column(String(64))
    booked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # revision 0013

    __table_args__ = (Index("ix_appointments_slot", "slot_id"), Index("ix_appointments_record", "record_id"))


class PeakDay(Base):
    """A day the office expects many couples, added by a supervisor (5月20日, 七夕 and 2月14日 are computed)."""

    __tablename__ = "peak_days"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    added_by: Mapped[str] = mapped_column(String(64))


class QueueTicket(Base):
    """A ticket of the day's queue: numbered from 1 each day; anonymous (a booking is linked, not copied)."""

    __tablename__ = "queue_tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    service: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))   # QueueState
    counter: Mapped[str] = mapped_column(String(16), default="")
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), nullable=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    called_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    handled_by: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (UniqueConstraint("day", "number", name="uq_queue_tickets_day_number"),
                      Index("ix_queue_tickets_day_status", "day", "status"))


# --- revision 0012: certificate ceremonies and group weddings ---------------------------------------


class Ceremony(Base):
    """A certificate ceremony (颁证仪式) or a group wedding (集体婚礼): when, where, who officiates."""

    __tablename__ = "ceremonies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))   # services.ceremonies.KINDS
    day: Mapped[dt.date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(100))
    officiant: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_ceremonies_day", "day"),)


class CeremonyCouple(Base):
    """A registered marriage in a ceremony, by record id only (names are read from the record when printed)."""

    __tablename__ = "ceremony_couples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ceremony_id: Mapped[int] = mapped_column(ForeignKey("ceremonies.id"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("ceremony_id", "record_id", name="uq_ceremony_couples_ceremony_record"),
                      Index("ix_ceremony_couples_record", "record_id"))
