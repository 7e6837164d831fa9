"""Queries the CLI and flows ask of the claim database. Functions take a Session first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rules.outcomes import CheckpointStatus, Severity
from tasks.db import models as m


@dataclass(frozen=True)
class QuarantinedRecord:
    id: int
    source_path: str
    locator: str
    record_type: str | None
    record_key: str | None
    reasons: list[dict[str, Any]]


def claims_by_payer(session: Session) -> dict[str, int]:
    """Loaded claims per payer id."""
    rows = session.execute(select(m.Claim.payer_id, func.count()).group_by(m.Claim.payer_id))
    return {payer: count for payer, count in rows}


def table_counts(session: Session) -> dict[str, int]:
    """Row counts of the tables a person checks after a load."""
    tables = (
        m.Payer,
        m.Plan,
        m.Location,
        m.Provider,
        m.Patient,
        m.Coverage,
        m.Authorization,
        m.GroupSession,
        m.SessionNote,
        m.Claim,
        m.ClaimLine,
        m.IntakeQuarantine,
        m.RemittancePayment,
        m.RemittanceClaim,
        m.RemittanceLine,
        m.ProviderAdjustment,
    )
    return {
        t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0 for t in tables
    }


def quarantined(
    session: Session, *, limit: int = 50, path: str | None = None
) -> list[QuarantinedRecord]:
    """The most recent quarantined records, newest first (reasons only, never the raw record)."""
    query = select(m.IntakeQuarantine).order_by(m.IntakeQuarantine.id.desc()).limit(limit)
    if path is not None:
        query = query.where(m.IntakeQuarantine.source_path == path)
    return [
        QuarantinedRecord(
            q.id, q.source_path, q.locator, q.record_type, q.record_key, list(q.reasons)
        )
        for q in session.scalars(query)
    ]


def recent_intake_files(session: Session, limit: int) -> list[m.IntakeFile]:
    """The last `limit` files read by intake, oldest first."""
    rows = list(session.scalars(select(m.IntakeFile).order_by(m.IntakeFile.id.desc()).limit(limit)))
    return rows[::-1]


def unknown_claims(session: Session, claim_ids: list[str]) -> list[str]:
    """The ids among `claim_ids` of no claim on file, in the order given."""
    known: set[str] = set()
    for start in range(0, len(claim_ids), 500):
        chunk = claim_ids[start : start + 500]
        known.update(session.scalars(select(m.Claim.claim_id).where(m.Claim.claim_id.in_(chunk))))
    return [cid for cid in claim_ids if cid not in known]


def mark_submitted(session: Session, claim_ids: list[str]) -> int:
    """Record submission of the given claims (once each); returns how many were newly marked."""
    import datetime as dt

    known = set(session.scalars(select(m.Claim.claim_id).where(m.Claim.claim_id.in_(claim_ids))))
    already = set(
        session.scalars(
            select(m.ClaimSubmission.claim_id).where(m.ClaimSubmission.claim_id.in_(claim_ids))
        )
    )
    new = sorted(known - already)
    session.add_all(
        m.ClaimSubmission(claim_id=cid, submitted_at=dt.datetime.now(dt.UTC), channel="manual")
        for cid in new
    )
    return len(new)


@dataclass(frozen=True)
class ClaimHistory:
    claim_id: str
    payer_id: str
    service_date: str
    lines: list[tuple[int, str, list[str], str]]
    checkpoints: list[m.ClaimCheckpoint]


def claim_history(session: Session, claim_id: str) -> ClaimHistory | None:
    """A claim's lines and every checkpoint, oldest first."""
    claim = session.get(m.Claim, claim_id)
    if claim is None:
        return None
    lines = session.scalars(
        select(m.ClaimLine)
        .where(m.ClaimLine.claim_id == claim_id)
        .order_by(m.ClaimLine.line_number)
    )
    shown = [
        (
            ln.line_number,
            ln.procedure_code,
            [x for x in (ln.modifier_1, ln.modifier_2, ln.modifier_3, ln.modifier_4) if x],
            str(ln.units.normalize()),
        )
        for ln in lines
    ]
    checkpoints = list(
        session.scalars(
            select(m.ClaimCheckpoint)
            .where(m.ClaimCheckpoint.claim_id == claim_id)
            .order_by(m.ClaimCheckpoint.id)
        )
    )
    return ClaimHistory(
        claim_id, claim.payer_id, claim.service_date.isoformat(), shown, checkpoints
    )


def held_now(session: Session, claim_ids: list[str]) -> dict[str, list[str]]:
    """The given claims that a current checkpoint holds, with the rule ids holding them."""
    cp = m.ClaimCheckpoint
    newest = (
        select(func.max(cp.id)).where(cp.claim_id.in_(claim_ids)).group_by(cp.claim_id, cp.step)
    )
    held: dict[str, list[str]] = {}
    query = select(cp.claim_id, cp.findings).where(
        cp.id.in_(newest), cp.status == CheckpointStatus.HELD
    )
    for claim_id, findings in session.execute(query.order_by(cp.claim_id)):
        rules = [f.rule_id for f in findings if f.severity is Severity.HELD]
        held.setdefault(claim_id, []).extend(rules)
    return held
