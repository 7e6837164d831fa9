"""The re-audit an import proposes: the claims whose verdicts the new tables change, found
by judging them again under the new rule set without writing a checkpoint (a dry run)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from rules.loader import RuleSet, load_rule_set
from rules.outcomes import Step
from tasks.db.selection import claims_billing
from tasks.db.session import session_scope
from tasks.reaudit import changes_of, reaudit_claims
from tasks.reference.update import Plan


@contextmanager
def rules_with(plan: Plan, folder: Path) -> Iterator[RuleSet]:
    """The rule set `folder` would be with the plan's tables written (raises RuleFileError
    when they do not load: an import is refused before anything is written)."""
    with tempfile.TemporaryDirectory(prefix="claimguard-rules-") as scratch:
        root = Path(scratch)
        shutil.copytree(folder / "payers", root / "payers")
        shutil.copytree(folder / "tables", root / "tables")
        for table in plan.tables:
            (root / "tables" / table.name).write_text(table.text())
        yield load_rule_set(root)


@dataclass
class Proposal:
    batch_key: str
    claims: int = 0  # judged again
    changed_claims: int = 0
    moves: Counter[str] = field(default_factory=Counter)  # "held → passed" and the like


def propose(engine: Engine, plan: Plan, rule_set: RuleSet) -> Proposal | None:
    """Judge again, in a dry run, the claims the plan may change; None when no verdict
    reads the imported table."""
    if not plan.steps:
        return None
    # A CARC's meaning or a locality's GPCI can change any paid claim since the date; other
    # tables change the verdicts of claims billing the codes they changed.
    codes = () if plan.any_code else sorted(plan.codes)
    proposal = Proposal(batch_key=f"tables-{plan.kind}-{uuid.uuid4().hex[:12]}")
    if not plan.changes or plan.since is None:
        return proposal
    # Step 5 judges what was paid: a claim with no remittance yet has nothing to re-audit.
    judged: set[str] = set()
    for steps, paid_only in (
        ([s for s in plan.steps if s is not Step.POST_PAYMENT_AUDIT], False),
        ([s for s in plan.steps if s is Step.POST_PAYMENT_AUDIT], True),
    ):
        if not steps:
            continue
        with session_scope(engine) as session:
            pages = list(
                claims_billing(
                    session,
                    codes,
                    plan.since,
                    paid_only=paid_only or plan.any_code,
                    payer_id=plan.payer_id,
                )
            )
        for page in pages:
            reaudit_claims(
                engine, page, steps, rule_set,
                batch_key=proposal.batch_key, dry_run=True, flow_run_id=None,
            )  # fmt: skip
            judged.update(page)
    proposal.claims = len(judged)
    proposal.moves, proposal.changed_claims = _moves(engine, proposal.batch_key)
    return proposal


def _moves(engine: Engine, batch_key: str) -> tuple[Counter[str], int]:
    """How the verdicts would move ("post_payment_audit: passed → held": claims), and the
    number of claims with any change."""
    moves: Counter[str] = Counter()
    claims: set[str] = set()
    with session_scope(engine) as session:
        for change in changes_of(session, batch_key):
            moves[f"{change.step.value}: {change.status_before} → {change.status_after}"] += 1
            claims.add(change.claim_id)
    return moves, len(claims)
