"""Find claims that are stuck before money is lost: one query per kind of problem."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rules.outcomes import PRE_SUBMISSION_STEPS, CheckpointStatus, Step
from tasks.db import models as m


@dataclass(frozen=True)
class Stuck:
    kind: str
    claim_id: str
    payer_id: str
    step: str
    since: dt.date | None
    detail: str


def _latest(session: Session) -> list[m.ClaimCheckpoint]:
    newest = select(func.max(m.ClaimCheckpoint.id)).group_by(
        m.ClaimCheckpoint.claim_id, m.ClaimCheckpoint.step
    )
    return list(session.scalars(select(m.ClaimCheckpoint).where(m.ClaimCheckpoint.id.in_(newest))))


def _payers(session: Session, claim_ids: Iterable[str]) -> dict[str, tuple[str, dt.date]]:
    ids = sorted(set(claim_ids))
    out: dict[str, tuple[str, dt.date]] = {}
    for start in range(0, len(ids), 500):
        query = select(m.Claim.claim_id, m.Claim.payer_id, m.Claim.service_date).where(
            m.Claim.claim_id.in_(ids[start : start + 500])
        )
        out.update({cid: (payer, dos) for cid, payer, dos in session.execute(query)})
    return out


def running_past_lease(session: Session, now: dt.datetime) -> list[Stuck]:
    chunks = session.scalars(
        select(m.WorkChunk).where(
            m.WorkChunk.state == "running", m.WorkChunk.lease_expires_at < now
        )
    )
    rows = [(cid, c) for c in chunks for cid in c.claim_ids]
    payers = _payers(session, (cid for cid, _ in rows))
    return [
        Stuck(
            "running_past_lease",
            cid,
            payers.get(cid, ("", None))[0],
            c.step.value,
            c.lease_expires_at.date() if c.lease_expires_at else None,
            f"leased by {c.leased_by}, lease ended {c.lease_expires_at:%Y-%m-%d %H:%M}",
        )
        for cid, c in rows
    ]


def find_stuck(
    session: Session,
    *,
    as_of: dt.date,
    held_days: int,
    ready_days: int,
    remittance_days: dict[str, int],
    filing_days: dict[str, int],
    warn_fraction: float,
) -> list[Stuck]:
    """Every stuck claim, by kind: errored, held too long, ready not sent, sent not paid, near the filing limit."""
    now = dt.datetime.combine(as_of, dt.time(23, 59), tzinfo=dt.UTC)
    latest = _latest(session)
    by_claim: dict[str, dict[Step, m.ClaimCheckpoint]] = {}
    for cp in latest:
        by_claim.setdefault(cp.claim_id, {})[cp.step] = cp
    submitted = {
        cid: at
        for cid, at in session.execute(
            select(m.ClaimSubmission.claim_id, m.ClaimSubmission.submitted_at)
        )
    }
    remitted = set(
        session.scalars(
            select(m.RemittanceClaim.claim_id).where(m.RemittanceClaim.claim_id.is_not(None))
        )
    )
    payers = _payers(session, [*by_claim, *submitted])
    out = running_past_lease(session, now)
    for cid, steps in by_claim.items():
        payer, dos = payers.get(cid, ("", as_of))
        out += _errored_or_held(cid, payer, steps, now, held_days)
        ready = all(
            s in steps and steps[s].status in (CheckpointStatus.PASSED, CheckpointStatus.WARNING)
            for s in PRE_SUBMISSION_STEPS
        )
        if ready and cid not in submitted and cid not in remitted:
            since = max(steps[s].finished_at for s in PRE_SUBMISSION_STEPS)
            if since <= now - dt.timedelta(days=ready_days):
                out.append(
                    Stuck(
                        "ready_not_submitted",
                        cid,
                        payer,
                        "",
                        since.date(),
                        f"ready since {since:%Y-%m-%d}",
                    )
                )
        if cid in submitted and cid not in remitted:
            wait = remittance_days.get(payer, remittance_days.get("_default", 30))
            if submitted[cid] <= now - dt.timedelta(days=wait):
                out.append(
                    Stuck(
                        "no_remittance",
                        cid,
                        payer,
                        "",
                        submitted[cid].date(),
                        f"submitted {submitted[cid]:%Y-%m-%d}; no remittance after {wait} days",
                    )
                )
        if cid not in submitted and cid not in remitted:
            out += _timely_filing(cid, payer, dos, as_of, filing_days, warn_fraction)
    return sorted(out, key=lambda s: (s.kind, s.claim_id, s.step))


def _errored_or_held(
    cid: str, payer: str, steps: dict[Step, m.ClaimCheckpoint], now: dt.datetime, held_days: int
) -> list[Stuck]:
    out = []
    for step, cp in steps.items():
        if cp.status is CheckpointStatus.ERROR:
            out.append(
                Stuck(
                    "errored",
                    cid,
                    payer,
                    step.value,
                    cp.finished_at.date(),
                    cp.findings[0].message if cp.findings else "error",
                )
            )
        elif cp.status is CheckpointStatus.HELD and cp.finished_at <= now - dt.timedelta(
            days=held_days
        ):
            rules = ", ".join(
                sorted({f.rule_id for f in cp.findings if f.severity.value == "held"})
            )
            out.append(
                Stuck(
                    "held_too_long",
                    cid,
                    payer,
                    step.value,
                    cp.finished_at.date(),
                    f"held since {cp.finished_at:%Y-%m-%d} by {rules}",
                )
            )
    return out


def _timely_filing(
    cid: str,
    payer: str,
    dos: dt.date,
    as_of: dt.date,
    filing_days: dict[str, int],
    warn_fraction: float,
) -> list[Stuck]:
    window = filing_days.get(payer, filing_days.get("_default", 90))
    deadline = dos + dt.timedelta(days=window)
    warn_from = dos + dt.timedelta(days=int(window * warn_fraction))
    if as_of < warn_from:
        return []
    state = "past" if as_of > deadline else f"{(deadline - as_of).days} days left"
    return [
        Stuck(
            "timely_filing",
            cid,
            payer,
            "",
            dos,
            f"not submitted; filing limit {deadline} ({state})",
        )
    ]
