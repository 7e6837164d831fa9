"""Queries the CLI and flows ask of the claim database. Functions take a Session first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
