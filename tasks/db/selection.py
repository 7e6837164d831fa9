"""Which claims a run works on: by id, by payer and dates, by the rule holding them, or unchecked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import exists, func
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from rules.outcomes import CheckpointStatus, Step
from tasks.db import models as m

IN_CHUNK = 500


def unchecked(session: Session, steps: Sequence[Step]) -> list[str]:
    """Claims without a current result for any of `steps`.

    Never checked, a run died first, checking errored, or the claim changed since (an
    837P claim documented by a later JSON packet).
    """
    ids: set[str] = set()
    for step in steps:
        has = exists().where(
            m.ClaimCheckpoint.claim_id == m.Claim.claim_id,
            m.ClaimCheckpoint.step == step,
            m.ClaimCheckpoint.status != CheckpointStatus.ERROR,
            m.ClaimCheckpoint.started_at >= m.Claim.received_at,
        )
        ids.update(session.scalars(sql_select(m.Claim.claim_id).where(~has)))
    return sorted(ids)


def awaiting_payment_audit(session: Session) -> list[str]:
    """Claims with a remittance posted after their last post-payment audit started (or never audited)."""
    last_audit = (
        sql_select(func.max(m.ClaimCheckpoint.started_at))
        .where(
            m.ClaimCheckpoint.claim_id == m.RemittanceClaim.claim_id,
            m.ClaimCheckpoint.step == Step.POST_PAYMENT_AUDIT,
            m.ClaimCheckpoint.status != CheckpointStatus.ERROR,
        )
        .scalar_subquery()
    )
    query = (
        sql_select(m.RemittanceClaim.claim_id)
        .join(m.RemittancePayment, m.RemittancePayment.id == m.RemittanceClaim.payment_id)
        .where(
            m.RemittanceClaim.claim_id.is_not(None),
            (last_audit.is_(None)) | (m.RemittancePayment.posted_at > last_audit),
        )
        .distinct()
    )
    return sorted(str(cid) for cid in session.scalars(query))


def existing(session: Session, claim_ids: Sequence[str]) -> list[str]:
    """The given ids that are claims in the database."""
    found: set[str] = set()
    for start in range(0, len(claim_ids), IN_CHUNK):
        found.update(
            session.scalars(
                sql_select(m.Claim.claim_id).where(
                    m.Claim.claim_id.in_(claim_ids[start : start + IN_CHUNK])
                )
            )
        )
    return sorted(found)


def by_payer_and_dates(
    session: Session, payer_id: str | None, start: dt.date | None, end: dt.date | None
) -> list[str]:
    """Claims of a payer (or all) whose date of service falls in [start, end]."""
    query = sql_select(m.Claim.claim_id)
    if payer_id:
        query = query.where(m.Claim.payer_id == payer_id)
    if start:
        query = query.where(m.Claim.service_date >= start)
    if end:
        query = query.where(m.Claim.service_date <= end)
    return sorted(session.scalars(query))


def held_by_rule_ids(session: Session, rule_id: str) -> list[str]:
    """Claims whose current checkpoint in some step holds them by `rule_id`."""
    latest = (
        sql_select(func.max(m.ClaimCheckpoint.id))
        .group_by(m.ClaimCheckpoint.claim_id, m.ClaimCheckpoint.step)
        .scalar_subquery()
    )
    query = (
        sql_select(m.ClaimCheckpoint.claim_id)
        .join(m.CheckpointFinding, m.CheckpointFinding.checkpoint_id == m.ClaimCheckpoint.id)
        .where(
            m.CheckpointFinding.rule_id == rule_id,
            m.CheckpointFinding.severity == "held",
            m.ClaimCheckpoint.id.in_(latest),
        )
        .distinct()
    )
    return sorted(session.scalars(query))


def select_claims(
    session: Session,
    *,
    claim_ids: Sequence[str] = (),
    payer_id: str | None = None,
    service_from: dt.date | None = None,
    service_to: dt.date | None = None,
    held_by_rule: str | None = None,
    unchecked_steps: Sequence[Step] = (),
    remitted: bool = False,
) -> list[str]:
    """Claims matching every criterion given (ids, payer and dates, holding rule, unchecked)."""
    found: list[list[str]] = []  # each sorted
    if claim_ids:
        found.append(existing(session, claim_ids))
    if payer_id or service_from or service_to:
        found.append(by_payer_and_dates(session, payer_id, service_from, service_to))
    if held_by_rule:
        found.append(held_by_rule_ids(session, held_by_rule))
    if unchecked_steps:
        found.append(unchecked(session, unchecked_steps))
    if remitted:
        found.append(awaiting_payment_audit(session))
    if len(found) <= 1:
        return found[0] if found else []  # one criterion (the daily run's): no copies
    return sorted(set(found[0]).intersection(*found[1:]))
