"""Re-audit: judge claims again under the current rules and say what changed against their last checkpoint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from rules.engine import evaluate
from rules.loader import RuleSet
from rules.outcomes import Finding, Step
from tasks.db import models as m
from tasks.db.checkpoints import append_checkpoints, next_attempts
from tasks.db.contexts import ContextLoader
from tasks.db.session import session_scope
from tasks.startup import collector_paused


class Change(BaseModel):
    """One claim-step whose findings differ from its last checkpoint (rule ids and lines only)."""

    claim_id: str
    step: Step
    status_before: str
    status_after: str
    added: list[str]
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
    dry_run: bool,
    flow_run_id: str | None,
) -> tuple[list[Change], int]:
    """Evaluate, compare with each claim-step's newest checkpoint, and (unless dry run) append the new outcome."""
    changes: list[Change] = []
    written = 0
    started = dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        # A re-audit of step 5 alone reads only what the audit reads (see ContextLoader.load).
        audit_only = set(steps) == {Step.POST_PAYMENT_AUDIT}
        contexts = ContextLoader(session).load(claim_ids, for_audit=audit_only)
        for step in steps:
            before = _latest(session, claim_ids, step)
            results = [evaluate(rule_set, ctx, step) for ctx in contexts]
            for result in results:
                old = before.get(result.claim_id)
                old_keys, new_keys = (_keys(old.findings) if old else set()), _keys(result.findings)
                old_status = old.status.value if old else "none"
                if old_keys != new_keys or old_status != result.status.value:
                    changes.append(
                        Change(
                            claim_id=result.claim_id,
                            step=step,
                            status_before=old_status,
                            status_after=result.status.value,
                            added=sorted(new_keys - old_keys),
                            removed=sorted(old_keys - new_keys),
                        )
                    )
            if not dry_run:
                attempts = next_attempts(
                    session, [r.claim_id for r in results], step, rule_set.version
                )
                written += append_checkpoints(
                    session, results, attempts=attempts, flow_run_id=flow_run_id, started_at=started
                )
    return changes, written


def _latest(session: Session, claim_ids: Sequence[str], step: Step) -> dict[str, m.ClaimCheckpoint]:
    out: dict[str, m.ClaimCheckpoint] = {}
    for start in range(0, len(claim_ids), 500):
        chunk = claim_ids[start : start + 500]
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
