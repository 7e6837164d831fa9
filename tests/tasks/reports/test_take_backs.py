"""Money that does not add up: a reversal of a payment never received is a step-5 finding
and a line of the appeals queue, not a claim the audit passes over."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select

from rules.loader import default_rule_set
from rules.outcomes import CheckpointStatus, Step
from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.inbox import load_file
from tasks.pipeline import check_selection
from tasks.remit.post import post_file
from tasks.reports import build
from tasks.runtime import Runtime

CORPUS = Path(__file__).parents[2] / "corpus" / "x12"


def test_a_reversal_without_a_payment_is_held_and_queued_for_appeal(sqlite_db: Engine):
    assert load_file(sqlite_db, CORPUS / "837-valid.837").loaded >= 1
    posted = post_file(sqlite_db, CORPUS / "835-reversal-without-original.835")
    assert posted.claims["matched"] == 1
    audited = check_selection(
        Runtime.of_engine(sqlite_db),
        {"remitted": True},
        [Step.POST_PAYMENT_AUDIT],
        force=True,
    )
    assert audited == 1
    with session_scope(sqlite_db) as session:
        checkpoint = session.scalars(
            select(m.ClaimCheckpoint).where(m.ClaimCheckpoint.step == Step.POST_PAYMENT_AUDIT)
        ).one()
    assert checkpoint.status is CheckpointStatus.HELD
    assert [f.rule_id for f in checkpoint.findings] == ["DEF-AUD-005"]
    report = build.collect(sqlite_db, default_rule_set())
    (row,) = report.appeals.first
    assert (row["claim_id"], row["outcome"], Decimal(str(row["at_stake"]))) == (
        "CLX-1",
        "taken_back",
        Decimal("60.00"),
    )
    assert "Take-backs of payments not on file: 1  ($60.00)" in report.text()
