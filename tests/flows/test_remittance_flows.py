"""The remittance audit under a real (temporary) Prefect server: 837P and 835s in, leaks out."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from flows.daily_intake import daily_intake
from flows.params import DailyIntakeParams, RemittanceAuditParams, StuckClaimsParams
from flows.remittance_audit import remittance_audit
from flows.stuck_claims import find_stuck_claims
from rules.outcomes import Step
from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.synthetic.generator import GeneratorConfig, generate
from tasks.synthetic.x12gen import write_claims, write_remittances
from tests.support.runtime import env_runtime

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]
SEED = 43


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """Ten weeks of claims as 837P plus JSON sessions and notes, and the payers' 835s."""
    out = tmp_path / "inbox"
    generate(GeneratorConfig(seed=SEED, claims=250, start=dt.date(2026, 8, 3), days=70), out)
    write_remittances(out, seed=SEED, underpayer=("summit_commercial", "90853"))
    write_claims(out, seed=SEED)
    shutil.move(str(out / "ground-truth"), str(tmp_path / "truth"))
    return out


def _audit_checkpoints() -> dict[str, int]:
    with session_scope(env_runtime().engine()) as session:
        query = (
            select(m.ClaimCheckpoint.claim_id, func.count())
            .where(m.ClaimCheckpoint.step == Step.POST_PAYMENT_AUDIT)
            .group_by(m.ClaimCheckpoint.claim_id)
        )
        return {cid: n for cid, n in session.execute(query)}


class TestDailyIntakeWithX12:
    def test_claims_from_837p_are_checked_and_835s_audited_and_reported(
        self, claim_db, inbox, tmp_path
    ):
        reports = tmp_path / "reports"
        state = daily_intake(
            DailyIntakeParams(inbox=str(inbox), report_dir=str(reports)), return_state=True
        )
        assert state.is_completed(), state.message
        with session_scope(env_runtime().engine()) as session:
            by_source = select(m.Claim.source, func.count()).group_by(m.Claim.source)
            sources = {source: n for source, n in session.execute(by_source)}
            linked = session.scalar(select(func.count()).where(m.Claim.session_id.is_not(None)))
            duplicates = session.scalar(
                select(func.sum(m.IntakeFile.unchanged)).where(m.IntakeFile.format == "x12/835")
            )
        assert sources == {"x12": 250} and linked == 250
        assert duplicates and duplicates > 0  # the resent 835 posted nothing
        audited = _audit_checkpoints()
        assert audited and set(audited.values()) == {1}
        assert (reports / "leak-report.html").exists() and (reports / "appeals-queue.csv").exists()
        assert not any(inbox.glob("*.83?")), "every X12 file was filed away"
        assert sorted(p.name for p in (inbox / "processed").glob("*.835"))

    def test_a_second_remittance_run_audits_only_what_was_newly_paid(
        self, claim_db, inbox, tmp_path
    ):
        remits = tmp_path / "remits"
        remits.mkdir()
        for path in inbox.glob("*.835"):
            shutil.move(str(path), remits / path.name)
        daily_intake(DailyIntakeParams(inbox=str(inbox), report_dir=str(tmp_path / "r")))
        assert _audit_checkpoints() == {}
        params = RemittanceAuditParams(folder=str(remits), report_dir=str(tmp_path / "r"))
        first = remittance_audit(params, return_state=True)
        assert first.is_completed(), first.message
        audited = _audit_checkpoints()
        again = remittance_audit(params, return_state=True)  # the folder is empty now
        assert again.is_completed() and _audit_checkpoints() == audited

    def test_remitted_claims_are_not_reported_as_waiting_for_remittance(
        self, claim_db, inbox, tmp_path
    ):
        daily_intake(DailyIntakeParams(inbox=str(inbox), report_dir=str(tmp_path / "r")))
        with session_scope(env_runtime().engine()) as session:
            paid = set(
                session.scalars(
                    select(m.RemittanceClaim.claim_id).where(
                        m.RemittanceClaim.claim_id.is_not(None)
                    )
                )
            )
        pages = find_stuck_claims.fn(
            env_runtime(), StuckClaimsParams(as_of=dt.date(2027, 6, 30)), limit=10_000
        )
        assert paid and not any(
            s.claim_id in paid
            and s.kind in ("no_remittance", "timely_filing", "ready_not_submitted")
            for page in pages.values()
            for s in page.claims
        )
