"""Find claims that are stuck before money is lost: one query per kind, counted and paged.

Each kind is a condition on the claim table (its current checkpoints, submissions and
remittances), so the monitor asks the database for a count and for one page of claims in
claim-id order: the database does the counting, and what the monitor reads and holds
grows with the page, not with the claims on file. A claim never checked counts too (one
near its filing limit is all the more stuck). A claim's
current checkpoint for a step is its newest; day counts are per payer, with a `_default`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from rules.outcomes import PRE_SUBMISSION_STEPS, CheckpointStatus, Severity, Step
from tasks.db import models as m
from tasks.db.work import expired_leases

IN_CHUNK = 500
OK = (CheckpointStatus.PASSED, CheckpointStatus.WARNING)


class StuckKind(StrEnum):
    RUNNING_PAST_LEASE = "running_past_lease"
    ERRORED = "errored"
    HELD_TOO_LONG = "held_too_long"
    READY_NOT_SUBMITTED = "ready_not_submitted"
    NO_REMITTANCE = "no_remittance"
    TIMELY_FILING = "timely_filing"


@dataclass(frozen=True, kw_only=True)
class Stuck:
    kind: StuckKind
    claim_id: str
    payer_id: str
    step: str
    since: dt.date | None
    detail: str


@dataclass(frozen=True, kw_only=True)
class StuckPolicy:
    """When a claim counts as stuck."""

    as_of: dt.date
    held_days: int
    ready_days: int
    remittance_days: Mapping[str, int]
    filing_days: Mapping[str, int]
    warn_fraction: float

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.combine(self.as_of, dt.time(23, 59), tzinfo=dt.UTC)

    def days_ago(self, days: int) -> dt.datetime:
        return self.now - dt.timedelta(days=days)

    def filing_window(self, payer: str) -> int:
        return self.filing_days.get(payer, self.filing_days.get("_default", 90))

    def remittance_wait(self, payer: str) -> int:
        return self.remittance_days.get(payer, self.remittance_days.get("_default", 30))


@dataclass(frozen=True, kw_only=True)
class StuckPage:
    """How many claims are stuck this way, and the first of them in claim-id order (a claim
    errored or held in two steps is one claim, listed once per step)."""

    kind: StuckKind
    total: int
    claims: list[Stuck]


Row = tuple[str, str, dt.date]  # claim id, payer, date of service


def find_stuck(
    session: Session, policy: StuckPolicy, *, limit: int, after: str | None = None
) -> dict[StuckKind, StuckPage]:
    """Every kind of stuck claim: its count and a page of at most `limit` claims after `after`."""
    return {kind: find_kind(session, kind, policy, limit=limit, after=after) for kind in StuckKind}


def find_kind(
    session: Session, kind: StuckKind, policy: StuckPolicy, *, limit: int, after: str | None = None
) -> StuckPage:
    """One kind's count, and its claims after `after`, at most `limit` of them."""
    if kind is StuckKind.RUNNING_PAST_LEASE:
        return _running_past_lease(session, policy, limit=limit, after=after)
    condition = _CONDITIONS[kind](policy)
    total = session.scalar(select(func.count()).select_from(m.Claim).where(condition)) or 0
    query = select(m.Claim.claim_id, m.Claim.payer_id, m.Claim.service_date).where(condition)
    if after is not None:
        query = query.where(m.Claim.claim_id > after)
    found = session.execute(query.order_by(m.Claim.claim_id).limit(limit))
    rows: list[Row] = [(cid, payer, dos) for cid, payer, dos in found]
    return StuckPage(kind=kind, total=int(total), claims=_DESCRIBE[kind](session, policy, rows))


# What makes a claim stuck, kind by kind: conditions on m.Claim.


def _current(cp: type[m.ClaimCheckpoint]) -> ColumnElement[bool]:
    """`cp` is its claim's newest checkpoint for its step."""
    later = aliased(m.ClaimCheckpoint)
    return ~exists().where(later.claim_id == cp.claim_id, later.step == cp.step, later.id > cp.id)


def _has_current(
    *where: Callable[[type[m.ClaimCheckpoint]], ColumnElement[bool]],
) -> ColumnElement[bool]:
    cp = aliased(m.ClaimCheckpoint)
    return exists().where(cp.claim_id == m.Claim.claim_id, _current(cp), *(w(cp) for w in where))


def _submitted() -> ColumnElement[bool]:
    return exists().where(m.ClaimSubmission.claim_id == m.Claim.claim_id)


def _remitted() -> ColumnElement[bool]:
    return exists().where(m.RemittanceClaim.claim_id == m.Claim.claim_id)


def _per_payer(
    days: Mapping[str, int], default: int, condition: Callable[[int], ColumnElement[bool]]
) -> ColumnElement[bool]:
    """`condition(days)` with each payer's own days, the default for every other payer."""
    named = {payer: n for payer, n in days.items() if payer != "_default"}
    return or_(
        *(and_(m.Claim.payer_id == payer, condition(n)) for payer, n in named.items()),
        and_(m.Claim.payer_id.not_in(named), condition(days.get("_default", default))),
    )


def _errored(policy: StuckPolicy) -> ColumnElement[bool]:
    return _has_current(lambda cp: cp.status == CheckpointStatus.ERROR)


def _held_too_long(policy: StuckPolicy) -> ColumnElement[bool]:
    """Held before submission longer than `held_days` (a step-5 hold is a paid line to appeal,
    in the appeals queue, not a claim waiting to be sent)."""
    cutoff = policy.days_ago(policy.held_days)
    return _has_current(
        lambda cp: cp.step.in_(PRE_SUBMISSION_STEPS),
        lambda cp: cp.status == CheckpointStatus.HELD,
        lambda cp: cp.finished_at <= cutoff,
    )


def _ready_not_submitted(policy: StuckPolicy) -> ColumnElement[bool]:
    """Every step before submission passed (perhaps with warnings) at least `ready_days` ago."""
    cutoff = policy.days_ago(policy.ready_days)
    ready = [
        _has_current(
            _step_is(step), lambda cp: cp.status.in_(OK), lambda cp: cp.finished_at <= cutoff
        )
        for step in PRE_SUBMISSION_STEPS
    ]
    return and_(*ready, ~_submitted(), ~_remitted())


def _step_is(step: Step) -> Callable[[type[m.ClaimCheckpoint]], ColumnElement[bool]]:
    return lambda cp: cp.step == step


def _no_remittance(policy: StuckPolicy) -> ColumnElement[bool]:
    """Sent (last sent) longer ago than the payer usually takes, and nothing remitted."""

    def sent_before(days: int) -> ColumnElement[bool]:
        return ~exists().where(
            m.ClaimSubmission.claim_id == m.Claim.claim_id,
            m.ClaimSubmission.submitted_at > policy.days_ago(days),
        )

    return and_(_submitted(), ~_remitted(), _per_payer(policy.remittance_days, 30, sent_before))


def _timely_filing(policy: StuckPolicy) -> ColumnElement[bool]:
    """Not sent, and past `warn_fraction` of the payer's filing window from the date of service."""

    def warned(days: int) -> ColumnElement[bool]:
        return m.Claim.service_date <= policy.as_of - dt.timedelta(
            days=int(days * policy.warn_fraction)
        )

    return and_(~_submitted(), ~_remitted(), _per_payer(policy.filing_days, 90, warned))


_CONDITIONS: dict[StuckKind, Callable[[StuckPolicy], ColumnElement[bool]]] = {
    StuckKind.ERRORED: _errored,
    StuckKind.HELD_TOO_LONG: _held_too_long,
    StuckKind.READY_NOT_SUBMITTED: _ready_not_submitted,
    StuckKind.NO_REMITTANCE: _no_remittance,
    StuckKind.TIMELY_FILING: _timely_filing,
}


# What a page's claims say: the step, since when, and the detail a biller acts on.


def _current_checkpoints(
    session: Session, claim_ids: Sequence[str], status: CheckpointStatus
) -> dict[str, list[m.ClaimCheckpoint]]:
    cp = aliased(m.ClaimCheckpoint)
    found: dict[str, list[m.ClaimCheckpoint]] = defaultdict(list)
    for start in range(0, len(claim_ids), IN_CHUNK):
        query = select(cp).where(
            cp.claim_id.in_(claim_ids[start : start + IN_CHUNK]), cp.status == status, _current(cp)
        )
        for checkpoint in session.scalars(query.order_by(cp.claim_id, cp.step)):
            found[checkpoint.claim_id].append(checkpoint)
    return found


def _describe_errored(session: Session, policy: StuckPolicy, rows: list[Row]) -> list[Stuck]:
    current = _current_checkpoints(session, [cid for cid, _, _ in rows], CheckpointStatus.ERROR)
    return [
        Stuck(
            kind=StuckKind.ERRORED,
            claim_id=cid,
            payer_id=payer,
            step=cp.step.value,
            since=cp.finished_at.date(),
            detail=cp.findings[0].message if cp.findings else "error",
        )
        for cid, payer, _ in rows
        for cp in current.get(cid, [])
    ]


def _describe_held(session: Session, policy: StuckPolicy, rows: list[Row]) -> list[Stuck]:
    current = _current_checkpoints(session, [cid for cid, _, _ in rows], CheckpointStatus.HELD)
    cutoff = policy.days_ago(policy.held_days)
    out = []
    for cid, payer, _ in rows:
        for cp in current.get(cid, []):
            if cp.finished_at > cutoff or cp.step not in PRE_SUBMISSION_STEPS:
                continue  # held in this step only lately, or a paid line's audit
            held_by = sorted({f.rule_id for f in cp.findings if f.severity is Severity.HELD})
            out.append(
                Stuck(
                    kind=StuckKind.HELD_TOO_LONG,
                    claim_id=cid,
                    payer_id=payer,
                    step=cp.step.value,
                    since=cp.finished_at.date(),
                    detail=f"held since {cp.finished_at:%Y-%m-%d} by {', '.join(held_by)}",
                )
            )
    return out


def _describe_ready(session: Session, policy: StuckPolicy, rows: list[Row]) -> list[Stuck]:
    since = _newest(
        session,
        [cid for cid, _, _ in rows],
        lambda ids: (
            select(m.ClaimCheckpoint.claim_id, func.max(m.ClaimCheckpoint.finished_at))
            .where(
                m.ClaimCheckpoint.claim_id.in_(ids),
                m.ClaimCheckpoint.step.in_(PRE_SUBMISSION_STEPS),
            )
            .group_by(m.ClaimCheckpoint.claim_id)
        ),
    )
    return [
        Stuck(
            kind=StuckKind.READY_NOT_SUBMITTED,
            claim_id=cid,
            payer_id=payer,
            step="",
            since=since[cid].date(),
            detail=f"ready since {since[cid]:%Y-%m-%d}",
        )
        for cid, payer, _ in rows
    ]


def _describe_no_remittance(session: Session, policy: StuckPolicy, rows: list[Row]) -> list[Stuck]:
    sent = _newest(
        session,
        [cid for cid, _, _ in rows],
        lambda ids: (
            select(m.ClaimSubmission.claim_id, func.max(m.ClaimSubmission.submitted_at))
            .where(m.ClaimSubmission.claim_id.in_(ids))
            .group_by(m.ClaimSubmission.claim_id)
        ),
    )
    return [
        Stuck(
            kind=StuckKind.NO_REMITTANCE,
            claim_id=cid,
            payer_id=payer,
            step="",
            since=sent[cid].date(),
            detail=(
                f"submitted {sent[cid]:%Y-%m-%d}; no remittance after "
                f"{policy.remittance_wait(payer)} days"
            ),
        )
        for cid, payer, _ in rows
    ]


def _describe_filing(session: Session, policy: StuckPolicy, rows: list[Row]) -> list[Stuck]:
    out = []
    for cid, payer, dos in rows:
        deadline = dos + dt.timedelta(days=policy.filing_window(payer))
        left = "past" if policy.as_of > deadline else f"{(deadline - policy.as_of).days} days left"
        out.append(
            Stuck(
                kind=StuckKind.TIMELY_FILING,
                claim_id=cid,
                payer_id=payer,
                step="",
                since=dos,
                detail=f"not submitted; filing limit {deadline} ({left})",
            )
        )
    return out


def _newest(
    session: Session,
    claim_ids: Sequence[str],
    query: Callable[[Sequence[str]], Select[str, dt.datetime]],
) -> dict[str, dt.datetime]:
    found: dict[str, dt.datetime] = {}
    for start in range(0, len(claim_ids), IN_CHUNK):
        found.update(
            (cid, at) for cid, at in session.execute(query(claim_ids[start : start + IN_CHUNK]))
        )
    return found


def _payers(session: Session, claim_ids: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for start in range(0, len(claim_ids), IN_CHUNK):
        query = select(m.Claim.claim_id, m.Claim.payer_id).where(
            m.Claim.claim_id.in_(claim_ids[start : start + IN_CHUNK])
        )
        found.update((cid, payer) for cid, payer in session.execute(query))
    return found


_DESCRIBE: dict[StuckKind, Callable[[Session, StuckPolicy, list[Row]], list[Stuck]]] = {
    StuckKind.ERRORED: _describe_errored,
    StuckKind.HELD_TOO_LONG: _describe_held,
    StuckKind.READY_NOT_SUBMITTED: _describe_ready,
    StuckKind.NO_REMITTANCE: _describe_no_remittance,
    StuckKind.TIMELY_FILING: _describe_filing,
}


def _running_past_lease(
    session: Session, policy: StuckPolicy, *, limit: int, after: str | None
) -> StuckPage:
    """Claims of work chunks still marked running after their lease ended: their worker died,
    and the step has not been checked since, by a rerun of that batch or by any later one.
    Read from the expired chunks, which are few; a claim in two such chunks (two steps) is
    one claim, listed once per step."""
    # Judged today, a lease is judged against the present: one ending later today has not ended.
    present = dt.datetime.now(dt.UTC)
    now = present if policy.as_of == present.date() else policy.now
    chunks = expired_leases(session, now)
    done = _checked_since(session, chunks)
    by_claim: dict[str, list[m.WorkChunk]] = defaultdict(list)
    for chunk in chunks:
        for cid in chunk.claim_ids:
            if (cid, chunk.step) not in done[chunk.id]:
                by_claim[cid].append(chunk)
    page = sorted(cid for cid in by_claim if after is None or cid > after)[:limit]
    payers = _payers(session, page)
    claims = [
        Stuck(
            kind=StuckKind.RUNNING_PAST_LEASE,
            claim_id=cid,
            payer_id=payers.get(cid, ""),
            step=chunk.step.value,
            since=chunk.lease_expires_at.date() if chunk.lease_expires_at else None,
            detail=f"leased by {chunk.leased_by}, lease ended {chunk.lease_expires_at:%Y-%m-%d %H:%M}",
        )
        for cid in page
        for chunk in sorted(by_claim[cid], key=lambda c: c.step.value)
    ]
    return StuckPage(kind=StuckKind.RUNNING_PAST_LEASE, total=len(by_claim), claims=claims)


def _checked_since(
    session: Session, chunks: Sequence[m.WorkChunk]
) -> dict[int, set[tuple[str, Step]]]:
    """For each chunk, its claim-steps that have a result (not an error) written after the
    chunk was planned: the work its dead worker left was done by another run."""
    done: dict[int, set[tuple[str, Step]]] = {chunk.id: set() for chunk in chunks}
    for chunk in chunks:
        ids = list(chunk.claim_ids)
        for start in range(0, len(ids), IN_CHUNK):
            query = select(m.ClaimCheckpoint.claim_id).where(
                m.ClaimCheckpoint.claim_id.in_(ids[start : start + IN_CHUNK]),
                m.ClaimCheckpoint.step == chunk.step,
                m.ClaimCheckpoint.status != CheckpointStatus.ERROR,
                m.ClaimCheckpoint.started_at >= chunk.created_at,
            )
            done[chunk.id].update((cid, chunk.step) for cid in session.scalars(query))
    return done
