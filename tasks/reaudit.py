"""Re-audit: judge claims again under the current rules and record what changed against their
last checkpoint, claim-step by claim-step, in the `reaudit_change` table.

A re-audit of a year of claims changes too many claim-steps to hold or to hand to Prefect:
each chunk writes its changes beside its checkpoints, in the same transaction, and returns
counts; reports read the changes back a page at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from rules.engine import StepResult, evaluate
from rules.loader import RuleSet
from rules.outcomes import CheckpointStatus, Finding, Step
from tasks.db import models as m
from tasks.db.checkpoints import append_checkpoints, next_attempts
from tasks.db.contexts import ContextLoader
from tasks.db.session import session_scope
from tasks.startup import collector_paused

IN_CHUNK = 500


@dataclass(frozen=True, kw_only=True)
class ReauditCounts:
    """What re-auditing some claims did: claims judged, claims and claim-steps changed,
    checkpoints written (none in a dry run)."""

    claims: int
    changed_claims: int
    changes: int
    written: int


class ChangeRow(TypedDict):
    batch_key: str
    claim_id: str
    step: Step
    status_before: str  # a checkpoint status, or "none"
    status_after: str
    added: list[str]  # rule ids, with "@lineN" for a line's finding
    removed: list[str]


def _keys(findings: Sequence[Finding]) -> set[str]:
    return {f"{f.rule_id}" + (f"@line{f.line_number}" if f.line_number else "") for f in findings}


@collector_paused()  # a chunk's contexts live through the call (see tasks/startup.py)
def reaudit_claims(
    engine: Engine,
    claim_ids: Sequence[str],
    steps: Sequence[Step],
    rule_set: RuleSet,
    *,
    batch_key: str,
    dry_run: bool,
    flow_run_id: str | None,
) -> ReauditCounts:
    """Evaluate, compare with each claim-step's newest checkpoint, record the differences
    under `batch_key`, and (unless dry run) append the new outcomes."""
    started = dt.datetime.now(dt.UTC)
    # Everything is read and judged first, then written in one short transaction: chunks
    # re-audited side by side then wait for each other's writes, not for each other's work.
    with session_scope(engine) as session:
        # A re-audit of step 5 alone reads only what the audit reads (see ContextLoader.load).
        audit_only = set(steps) == {Step.POST_PAYMENT_AUDIT}
        contexts = ContextLoader(session).load(claim_ids, for_audit=audit_only)
        judged = [(step, [evaluate(rule_set, ctx, step) for ctx in contexts]) for step in steps]
        changes = [
            row for step, results in judged for row in _changes(session, results, step, batch_key)
        ]
    written = 0
    with session_scope(engine) as session:
        if changes:
            session.execute(insert(m.ReauditChange), changes)
        for step, results in judged if not dry_run else []:
            attempts = next_attempts(session, [r.claim_id for r in results], step, rule_set.version)
            written += append_checkpoints(
                session, results, attempts=attempts, flow_run_id=flow_run_id, started_at=started
            )
    return ReauditCounts(
        claims=len(claim_ids),
        changed_claims=len({row["claim_id"] for row in changes}),
        changes=len(changes),
        written=written,
    )


def _changes(
    session: Session, results: list[StepResult], step: Step, batch_key: str
) -> list[ChangeRow]:
    before = _latest(session, [r.claim_id for r in results], step)
    rows: list[ChangeRow] = []
    for result in results:
        old = before.get(result.claim_id)
        old_keys, new_keys = (_keys(old.findings) if old else set()), _keys(result.findings)
        old_status = old.status.value if old else "none"
        # A step with nothing to judge yet (step 5 before any payment) that was never judged
        # has not changed: "none → skipped" is no news to a biller.
        untouched = old is None and result.status is CheckpointStatus.SKIPPED and not new_keys
        if not untouched and (old_keys != new_keys or old_status != result.status.value):
            rows.append(
                ChangeRow(
                    batch_key=batch_key,
                    claim_id=result.claim_id,
                    step=step,
                    status_before=old_status,
                    status_after=result.status.value,
                    added=sorted(new_keys - old_keys),
                    removed=sorted(old_keys - new_keys),
                )
            )
    return rows


def _latest(session: Session, claim_ids: Sequence[str], step: Step) -> dict[str, m.ClaimCheckpoint]:
    out: dict[str, m.ClaimCheckpoint] = {}
    for start in range(0, len(claim_ids), IN_CHUNK):
        chunk = claim_ids[start : start + IN_CHUNK]
        newest = (
            select(func.max(m.ClaimCheckpoint.id))
            .where(m.ClaimCheckpoint.claim_id.in_(chunk), m.ClaimCheckpoint.step == step)
            .group_by(m.ClaimCheckpoint.claim_id)
        )
        for row in session.scalars(
            select(m.ClaimCheckpoint).where(m.ClaimCheckpoint.id.in_(newest))
        ):
            out[row.claim_id] = row
    return out


def changes_of(session: Session, batch_key: str, *, page: int = 1_000) -> Iterator[m.ReauditChange]:
    """A re-audit's changes in claim-id and step order, read a page at a time."""
    last: tuple[str, str] | None = None
    while True:
        query = select(m.ReauditChange).where(m.ReauditChange.batch_key == batch_key)
        if last is not None:
            query = query.where(
                (m.ReauditChange.claim_id > last[0])
                | ((m.ReauditChange.claim_id == last[0]) & (m.ReauditChange.step > last[1]))
            )
        rows = list(
            session.scalars(
                query.order_by(m.ReauditChange.claim_id, m.ReauditChange.step).limit(page)
            )
        )
        yield from rows
        if len(rows) < page:
            return
        last = (rows[-1].claim_id, rows[-1].step.value)


def change_count(session: Session, batch_key: str) -> int:
    query = select(func.count()).where(m.ReauditChange.batch_key == batch_key)
    return int(session.scalar(query) or 0)


def batch_exists(session: Session, batch_key: str) -> bool:
    """Whether a re-audit planned this batch (it may have changed nothing)."""
    query = select(m.WorkChunk.id).where(m.WorkChunk.batch_key == batch_key).limit(1)
    return session.execute(query).first() is not None
