"""The claim database: master data, events, checkpoints and the intake quarantine.

Rows are loaded from validated packet records (rules.records); `content_hash` is the
SHA-256 of the record's canonical JSON and is how a second load of the same record is
recognised as a no-op. Checkpoints are append-only: a claim's history is its rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from rules.codes import (
    AuthKind,
    BenefitOrder,
    BhBenefit,
    Credential,
    FrequencyCode,
    LocationKind,
    Modality,
    PatientLocation,
    PayerKind,
    SessionType,
)
from rules.outcomes import CheckpointStatus, Finding, Step
from rules.records import NoteElements
from tasks.db.base import Base, enum_column, money, npi, record_id, utcnow
from tasks.db.types import PydanticJSON

HASH = String(64)


class Payer(Base):
    __tablename__ = "payer"
    payer_id: Mapped[record_id] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[PayerKind] = mapped_column(enum_column(PayerKind))
    content_hash: Mapped[str] = mapped_column(HASH)


class Plan(Base):
    __tablename__ = "plan"
    plan_id: Mapped[record_id] = mapped_column(primary_key=True)
    payer_id: Mapped[record_id] = mapped_column(ForeignKey("payer.payer_id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    state: Mapped[str | None] = mapped_column(String(2))
    covers_group_psychotherapy: Mapped[bool]
    covers_telehealth: Mapped[bool]
    content_hash: Mapped[str] = mapped_column(HASH)


class Location(Base):
    __tablename__ = "location"
    location_id: Mapped[record_id] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(2))
    kind: Mapped[LocationKind] = mapped_column(enum_column(LocationKind))
    place_of_service: Mapped[str] = mapped_column(String(2))
    # The service facility's NPI: how an 837P (2310C NM1*77) names the site.
    npi: Mapped[str | None] = mapped_column(String(10), index=True)
    medicare_locality: Mapped[str | None] = mapped_column(String(8))
    content_hash: Mapped[str] = mapped_column(HASH)


class Provider(Base):
    __tablename__ = "provider"
    npi: Mapped[npi] = mapped_column(primary_key=True)
    last_name: Mapped[str] = mapped_column(String(60))
    first_name: Mapped[str] = mapped_column(String(60))
    # Unknown for a provider first seen in an 837P under a taxonomy that does not say it.
    credential: Mapped[Credential | None] = mapped_column(enum_column(Credential))
    taxonomy: Mapped[str | None] = mapped_column(String(10))  # PRV is situational in an 837P
    license_state: Mapped[str] = mapped_column(String(2))
    # No foreign key: a supervisor may be loaded after the people they supervise.
    supervisor_npi: Mapped[str | None] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(HASH)


class ProviderEnrollment(Base):
    __tablename__ = "provider_enrollment"
    id: Mapped[int] = mapped_column(primary_key=True)
    npi: Mapped[npi] = mapped_column(ForeignKey("provider.npi", ondelete="CASCADE"))
    payer_id: Mapped[record_id] = mapped_column(ForeignKey("payer.payer_id"))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    __table_args__ = (UniqueConstraint("npi", "payer_id", "effective_from"),)


class Patient(Base):
    __tablename__ = "patient"
    patient_id: Mapped[record_id] = mapped_column(primary_key=True)
    last_name: Mapped[str] = mapped_column(String(60))
    first_name: Mapped[str] = mapped_column(String(60))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    content_hash: Mapped[str] = mapped_column(HASH)


class Coverage(Base):
    __tablename__ = "coverage"
    coverage_id: Mapped[record_id] = mapped_column(primary_key=True)
    patient_id: Mapped[record_id] = mapped_column(ForeignKey("patient.patient_id"), index=True)
    plan_id: Mapped[record_id] = mapped_column(ForeignKey("plan.plan_id"))
    member_id: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    bh_benefit: Mapped[BhBenefit] = mapped_column(enum_column(BhBenefit))
    carveout_payer_id: Mapped[str | None] = mapped_column(ForeignKey("payer.payer_id"))
    copay: Mapped[money]
    coinsurance_pct: Mapped[Decimal]
    deductible: Mapped[money]
    deductible_met: Mapped[money]
    reported_by_claim: Mapped[bool] = mapped_column(default=False)
    benefit_order: Mapped[BenefitOrder] = mapped_column(
        enum_column(BenefitOrder), default=BenefitOrder.PRIMARY, server_default="primary"
    )
    content_hash: Mapped[str] = mapped_column(HASH)
    __table_args__ = (Index("ix_coverage_member_id", "member_id"),)


class Authorization(Base):
    __tablename__ = "authorization"
    id: Mapped[int] = mapped_column(primary_key=True)
    payer_id: Mapped[record_id] = mapped_column(ForeignKey("payer.payer_id"))
    auth_number: Mapped[record_id]
    kind: Mapped[AuthKind] = mapped_column(enum_column(AuthKind))
    patient_id: Mapped[record_id] = mapped_column(ForeignKey("patient.patient_id"), index=True)
    procedure_codes: Mapped[list[Any]]
    units_approved: Mapped[int]
    units_used: Mapped[int]
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    rendering_npi: Mapped[str | None] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(HASH)
    __table_args__ = (UniqueConstraint("payer_id", "auth_number"),)


class IntakeFile(Base):
    """One file read by intake, with its reconciled counts."""

    __tablename__ = "intake_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1024))
    sha256: Mapped[str] = mapped_column(HASH, index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    records_in: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    quarantined: Mapped[int] = mapped_column(default=0)
    # Why its records were not taken: it changed while it was read (the read is void, the
    # file left to read again), or it is not an intake file (refused, moved to failed/).
    unread_reason: Mapped[str | None] = mapped_column(String(200))
    # What was read as meant but is worth saying (bytes after the last IEA, HL ids that
    # do not start at 1); no values from the file.
    notes: Mapped[list[Any] | None]


class DatabaseInstance(Base):
    """The database's identity: one row, made with the database (migration 0008)."""

    __tablename__ = "database_instance"
    instance_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_at: Mapped[dt.datetime]


class InboxLease(Base):
    """The run reading an inbox folder, until `expires_at` (renewed as it reads each file)."""

    __tablename__ = "inbox_lease"
    inbox_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of its path
    inbox: Mapped[str] = mapped_column(Text)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]


class GroupSession(Base):
    __tablename__ = "group_session"
    session_id: Mapped[record_id] = mapped_column(primary_key=True)
    location_id: Mapped[record_id] = mapped_column(ForeignKey("location.location_id"))
    service_date: Mapped[dt.date] = mapped_column(Date, index=True)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    session_type: Mapped[SessionType] = mapped_column(enum_column(SessionType))
    modality: Mapped[Modality] = mapped_column(enum_column(Modality))
    patient_location: Mapped[PatientLocation | None] = mapped_column(enum_column(PatientLocation))
    facilitator_npis: Mapped[list[Any]]
    recorded_group_size: Mapped[int | None]
    content_hash: Mapped[str] = mapped_column(HASH)


class SessionParticipant(Base):
    __tablename__ = "session_participant"
    session_id: Mapped[record_id] = mapped_column(
        ForeignKey("group_session.session_id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[record_id] = mapped_column(ForeignKey("patient.patient_id"), index=True)


class SessionNote(Base):
    __tablename__ = "session_note"
    note_id: Mapped[record_id] = mapped_column(primary_key=True)
    session_id: Mapped[record_id] = mapped_column(ForeignKey("group_session.session_id"))
    patient_id: Mapped[record_id] = mapped_column(ForeignKey("patient.patient_id"))
    author_npi: Mapped[npi]
    signed_on: Mapped[dt.date] = mapped_column(Date)
    elements: Mapped[NoteElements] = mapped_column(PydanticJSON(NoteElements))
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(HASH)
    __table_args__ = (UniqueConstraint("session_id", "patient_id"),)


class Claim(Base):
    __tablename__ = "claim"
    claim_id: Mapped[record_id] = mapped_column(primary_key=True)
    claim_date: Mapped[dt.date] = mapped_column(Date)
    service_date: Mapped[dt.date] = mapped_column(Date)
    patient_id: Mapped[record_id] = mapped_column(ForeignKey("patient.patient_id"))
    coverage_id: Mapped[record_id] = mapped_column(ForeignKey("coverage.coverage_id"))
    payer_id: Mapped[record_id] = mapped_column(ForeignKey("payer.payer_id"))
    billing_npi: Mapped[npi]
    rendering_npi: Mapped[npi] = mapped_column(ForeignKey("provider.npi"))
    location_id: Mapped[record_id] = mapped_column(ForeignKey("location.location_id"))
    session_id: Mapped[str | None] = mapped_column(ForeignKey("group_session.session_id"))
    place_of_service: Mapped[str] = mapped_column(String(2))
    frequency_code: Mapped[FrequencyCode] = mapped_column(enum_column(FrequencyCode))
    payer_claim_control_number: Mapped[str | None] = mapped_column(String(50))
    prior_auth_number: Mapped[str | None] = mapped_column(String(64))
    referral_number: Mapped[str | None] = mapped_column(String(64))
    prior_payer_id: Mapped[str | None] = mapped_column(String(64))
    prior_payer_paid: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    diagnoses: Mapped[list[Any]]
    total_charge: Mapped[money]
    source: Mapped[str] = mapped_column(String(16))
    intake_file_id: Mapped[int | None] = mapped_column(ForeignKey("intake_file.id"))
    # When the claim's current content arrived: checkpoints started before it are stale
    # (an 837P claim later given its session and note by a JSON packet is checked again).
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    content_hash: Mapped[str] = mapped_column(HASH)
    # Hash of what an 837P can carry: a JSON packet and an 837P of the same claim agree on it.
    billing_hash: Mapped[str | None] = mapped_column(HASH)
    __table_args__ = (
        Index("ix_claim_payer_service_date", "payer_id", "service_date"),
        Index("ix_claim_patient_service_date", "patient_id", "service_date"),
        Index("ix_claim_session_id", "session_id"),
        # A remittance finds a member's claims through their coverage.
        Index("ix_claim_coverage_id", "coverage_id"),
    )


class ClaimLine(Base):
    __tablename__ = "claim_line"
    claim_id: Mapped[record_id] = mapped_column(
        ForeignKey("claim.claim_id", ondelete="CASCADE"), primary_key=True
    )
    line_number: Mapped[int] = mapped_column(primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(5))
    modifier_1: Mapped[str | None] = mapped_column(String(2))
    modifier_2: Mapped[str | None] = mapped_column(String(2))
    modifier_3: Mapped[str | None] = mapped_column(String(2))
    modifier_4: Mapped[str | None] = mapped_column(String(2))
    units: Mapped[Decimal] = mapped_column()
    charge: Mapped[money]
    diagnosis_pointers: Mapped[list[Any]]
    place_of_service: Mapped[str | None] = mapped_column(String(2))
    service_date: Mapped[dt.date] = mapped_column(Date)
    line_control_number: Mapped[str | None] = mapped_column(String(50))
    rendering_npi: Mapped[str | None] = mapped_column(String(10))
    prior_auth_number: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (Index("ix_claim_line_code_date", "procedure_code", "service_date"),)


class ClaimCheckpoint(Base):
    """One outcome of one lifecycle step for one claim in one run. Never updated.

    The unique key makes a retried or resumed run unable to write the same outcome
    twice: a second attempt under the same rule-set version must say it is a new attempt.
    """

    __tablename__ = "claim_checkpoint"
    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[record_id] = mapped_column(ForeignKey("claim.claim_id"))
    step: Mapped[Step] = mapped_column(enum_column(Step))
    status: Mapped[CheckpointStatus] = mapped_column(enum_column(CheckpointStatus))
    findings: Mapped[list[Finding]] = mapped_column(PydanticJSON(list[Finding]))
    rule_set_version: Mapped[str] = mapped_column(HASH)
    flow_run_id: Mapped[str | None] = mapped_column(String(36))
    attempt: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime]
    __table_args__ = (
        UniqueConstraint("claim_id", "step", "rule_set_version", "attempt"),
        # The current state of a claim: its newest row per step. No index leads with the
        # step: PostgreSQL, with statistics from before a step's first rows, would read
        # every row of the step to find one claim's (migration 0006).
        Index("ix_claim_checkpoint_claim_step_time", "claim_id", "step", "finished_at"),
    )


class CheckpointFinding(Base):
    """The rule ids of a checkpoint's findings, so 'claims held by rule X' is an index read."""

    __tablename__ = "checkpoint_finding"
    checkpoint_id: Mapped[int] = mapped_column(
        ForeignKey("claim_checkpoint.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    line_number: Mapped[int | None]
    __table_args__ = (Index("ix_checkpoint_finding_rule_severity", "rule_id", "severity"),)


class IntakeQuarantine(Base):
    """A record intake refused, kept whole with every reason, until someone fixes it."""

    __tablename__ = "intake_quarantine"
    id: Mapped[int] = mapped_column(primary_key=True)
    intake_file_id: Mapped[int] = mapped_column(ForeignKey("intake_file.id"), index=True)
    source_path: Mapped[str] = mapped_column(String(1024))
    source_sha256: Mapped[str] = mapped_column(HASH)
    locator: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str | None] = mapped_column(String(32))
    record_key: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[str] = mapped_column(Text)
    raw_size_bytes: Mapped[int]
    raw_truncated: Mapped[bool] = mapped_column(default=False)
    reasons: Mapped[list[Any]]
    quarantined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        # Loading the same file twice quarantines each bad record once.
        UniqueConstraint("source_sha256", "locator"),
    )


class WorkChunk(Base):
    """A chunk of claims for one step of one batch: the unit a worker leases.

    Chunks hold their claim ids (by reference for Prefect: tasks get the batch key, step
    and chunk number). A worker leases a pending chunk (or one whose lease ran out) with
    FOR UPDATE SKIP LOCKED on PostgreSQL, so two workers never check the same claims.
    """

    __tablename__ = "work_chunk"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_key: Mapped[str] = mapped_column(String(64))
    step: Mapped[Step] = mapped_column(enum_column(Step))
    chunk_no: Mapped[int]
    claim_ids: Mapped[list[Any]]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    leased_by: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # What checking the chunk wrote ({"statuses": {...}, "skipped_done": n}), so a retry of
    # a task that had already finished this step reports it rather than losing it.
    outcome: Mapped[dict[str, Any] | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    __table_args__ = (
        UniqueConstraint("batch_key", "step", "chunk_no"),
        Index("ix_work_chunk_state_lease", "state", "lease_expires_at"),
    )


class ClaimSubmission(Base):
    """When a claim left for the payer (an 837 sent, or marked sent by the biller)."""

    __tablename__ = "claim_submission"
    claim_id: Mapped[record_id] = mapped_column(ForeignKey("claim.claim_id"), primary_key=True)
    submitted_at: Mapped[dt.datetime]
    channel: Mapped[str] = mapped_column(String(32), default="manual")


class AuditRun(Base):
    """A re-audit or lifecycle run: who asked, why, over what selection, and what changed."""

    __tablename__ = "audit_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    selection: Mapped[dict[str, Any]]
    dry_run: Mapped[bool] = mapped_column(default=False)
    rule_set_version: Mapped[str] = mapped_column(HASH)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ReauditChange(Base):
    """One claim-step whose outcome a re-audit changed: the statuses and the rule ids (with
    their line) added and removed. Written as the re-audit's chunks finish, read in pages."""

    __tablename__ = "reaudit_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_key: Mapped[str] = mapped_column(String(64))  # read through the unique key
    claim_id: Mapped[record_id] = mapped_column(ForeignKey("claim.claim_id"))
    step: Mapped[Step] = mapped_column(enum_column(Step))
    status_before: Mapped[str] = mapped_column(String(16))  # a checkpoint status, or "none"
    status_after: Mapped[str] = mapped_column(String(16))
    added: Mapped[list[Any]]
    removed: Mapped[list[Any]]
    __table_args__ = (UniqueConstraint("batch_key", "claim_id", "step"),)


class RemittancePayment(Base):
    """One 835 transaction set: a payment (or a notice of no payment) keyed by its trace.

    The same payer and TRN02 trace number loaded again is a duplicate and posts nothing.
    """

    __tablename__ = "remittance_payment"
    id: Mapped[int] = mapped_column(primary_key=True)
    intake_file_id: Mapped[int] = mapped_column(ForeignKey("intake_file.id"), index=True)
    set_control_number: Mapped[str] = mapped_column(String(9))
    payer_key: Mapped[str] = mapped_column(String(80))
    payer_name: Mapped[str] = mapped_column(String(120))
    payer_id: Mapped[str | None] = mapped_column(String(64))
    trace_number: Mapped[str] = mapped_column(String(50))
    handling_code: Mapped[str] = mapped_column(String(2))
    method: Mapped[str | None] = mapped_column(String(3))
    amount: Mapped[money]
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    payee_id: Mapped[str | None] = mapped_column(String(80))
    claims_paid: Mapped[money]
    provider_adjustments: Mapped[money]
    balanced: Mapped[bool]
    problems: Mapped[list[Any]]
    # Implementation-guide rules the set breaks that leave its money readable (an
    # address, a contact, a code): posted anyway, and said.
    warnings: Mapped[list[Any] | None]
    posted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("payer_key", "trace_number"),)


class ProviderAdjustment(Base):
    """A PLB adjustment: a take-back, interest or other amount against the payment, not a claim."""

    __tablename__ = "provider_adjustment"
    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("remittance_payment.id", ondelete="CASCADE"), index=True
    )
    provider_key: Mapped[str] = mapped_column(String(80))
    fiscal_period: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(2))
    reference: Mapped[str | None] = mapped_column(String(50))
    amount: Mapped[money]


class RemittanceClaim(Base):
    """A CLP loop: the payer's answer to one claim, matched to the claim it answers (or not)."""

    __tablename__ = "remittance_claim"
    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        ForeignKey("remittance_payment.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    control_number: Mapped[str] = mapped_column(String(38))
    status_code: Mapped[str] = mapped_column(String(2))
    charge: Mapped[money]
    paid: Mapped[money]
    patient_responsibility: Mapped[money]
    filing_indicator: Mapped[str | None] = mapped_column(String(2))
    payer_claim_control_number: Mapped[str | None] = mapped_column(String(50))
    service_date: Mapped[dt.date | None] = mapped_column(Date)
    adjustments: Mapped[list[Any]]
    remark_codes: Mapped[list[Any]]
    balanced: Mapped[bool]
    claim_id: Mapped[str | None] = mapped_column(ForeignKey("claim.claim_id"), index=True)
    match_method: Mapped[str] = mapped_column(String(48))
    unmatched_reason: Mapped[str | None] = mapped_column(Text)


class RemittanceLine(Base):
    """An SVC loop: one paid (or denied) service, matched to the claim line it pays."""

    __tablename__ = "remittance_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    remittance_claim_id: Mapped[int] = mapped_column(
        ForeignKey("remittance_claim.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    procedure_code: Mapped[str] = mapped_column(String(48))
    modifiers: Mapped[list[Any]]
    original_code: Mapped[str | None] = mapped_column(String(48))
    charge: Mapped[money]
    paid: Mapped[money]
    units_paid: Mapped[Decimal | None]
    service_date: Mapped[dt.date | None] = mapped_column(Date)
    line_control_number: Mapped[str | None] = mapped_column(String(50))
    adjustments: Mapped[list[Any]]
    remark_codes: Mapped[list[Any]]
    allowed_reported: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    balanced: Mapped[bool]
    line_number: Mapped[int | None]
    match_method: Mapped[str] = mapped_column(String(48))
    unmatched_reason: Mapped[str | None] = mapped_column(Text)
