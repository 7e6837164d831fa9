"""The flows under a real (temporary) Prefect server: checkpoints written once, retries, re-audit diffs, stuck claims."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from flows.daily_intake import daily_intake
from flows.lifecycle import lifecycle
from flows.params import (
    DailyIntakeParams,
    LifecycleParams,
    ReauditParams,
    Selection,
    StuckClaimsParams,
)
from flows.reaudit import reaudit
from flows.stuck_claims import find_stuck_claims, stuck_claims
from rules.loader import RULES_ROOT
from rules.outcomes import PRE_SUBMISSION_STEPS, CheckpointStatus, Step
from tasks.checking import record_errors
from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.inbox import load_paths
from tasks.reaudit import changes_of
from tasks.synthetic.defects import Defect
from tasks.synthetic.generator import GeneratorConfig, generate
from tasks.transient import TransientSourceError
from tests.support import faults
from tests.support.runtime import env_runtime

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]
CLAIMS = 300


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    out = tmp_path / "inbox"
    generate(GeneratorConfig(seed=41, claims=CLAIMS, rates=dict.fromkeys(Defect, 0.03)), out)
    shutil.rmtree(out / "ground-truth")
    return out


@pytest.fixture
def loaded(claim_db: str, inbox: Path) -> str:
    load_paths(env_runtime().engine(), [inbox])
    return claim_db


def checkpoint_counts() -> dict[tuple[str, str, int], int]:
    with session_scope(env_runtime().engine()) as session:
        query = select(
            m.ClaimCheckpoint.claim_id,
            m.ClaimCheckpoint.step,
            m.ClaimCheckpoint.attempt,
            func.count(),
        ).group_by(m.ClaimCheckpoint.claim_id, m.ClaimCheckpoint.step, m.ClaimCheckpoint.attempt)
        return {(cid, step.value, attempt): n for cid, step, attempt, n in session.execute(query)}


def chunk_workers() -> list[tuple[int, int]]:
    """For each finished work chunk: the process that checked it, and how many checkpoints it wrote."""
    with session_scope(env_runtime().engine()) as session:
        rows = session.execute(
            select(m.WorkChunk.leased_by, m.WorkChunk.outcome).where(m.WorkChunk.state == "done")
        ).all()
    return [(int(by.rpartition(":")[2]), sum(out["statuses"].values())) for by, out in rows]


class TestLifecycle:
    def test_every_claim_gets_one_checkpoint_per_step(self, loaded: str):
        """A run over the unchecked claims writes exactly one checkpoint per claim and step."""
        state = lifecycle(LifecycleParams(chunk_size=100, workers=1), return_state=True)
        assert state.is_completed()
        counts = checkpoint_counts()
        assert len(counts) == CLAIMS * 4 and set(counts.values()) == {1}
        assert state.result().claims == CLAIMS and state.result().chunks == 3
        assert {pid for pid, _ in chunk_workers()} == {os.getpid()}

    def test_chunks_are_checked_in_worker_processes(self, loaded: str):
        """With two workers the chunks are checked in other processes: still one checkpoint per claim and step, all counted."""
        state = lifecycle(LifecycleParams(chunk_size=100, workers=2), return_state=True)
        assert state.is_completed()
        counts = checkpoint_counts()
        assert len(counts) == CLAIMS * 4 and set(counts.values()) == {1}
        summary = state.result()
        assert sum(sum(s.values()) for s in summary.statuses.values()) == CLAIMS * 4
        workers = chunk_workers()
        assert len(workers) == 3 * 4 and os.getpid() not in {pid for pid, _ in workers}
        assert sum(written for _, written in workers) == CLAIMS * 4

    def test_rerun_skips_and_force_rechecks(self, loaded: str):
        """A second run writes nothing; a forced run writes attempt 2 for each claim and step."""
        lifecycle(LifecycleParams(chunk_size=100))
        again = lifecycle(
            LifecycleParams(selection=Selection(payer_id="medicare"), chunk_size=100),
            return_state=True,
        ).result()
        assert sum(sum(s.values()) for s in again.statuses.values()) == 0
        forced = lifecycle(
            LifecycleParams(selection=Selection(payer_id="medicare"), force=True), return_state=True
        ).result()
        counts = checkpoint_counts()
        medicare = {cid for (cid, _, attempt) in counts if attempt == 2}
        assert forced.claims == len(medicare) > 0
        assert all(
            counts.get((cid, step.value, 2)) == 1
            for cid in medicare
            for step in PRE_SUBMISSION_STEPS
        )

    def test_transient_failures_are_retried_and_claims_checked_once(self, loaded: str):
        """A locked database twice, then success: the task retries and each claim is checked once."""
        from sqlalchemy.exc import OperationalError

        faults.inject(
            "check_step", times=2, error=OperationalError("x", {}, Exception("database is locked"))
        )
        state = lifecycle(LifecycleParams(steps=[Step.VERIFICATION]), return_state=True)
        assert state.is_completed() and faults.fired("check_step") == 2
        counts = checkpoint_counts()
        assert len(counts) == CLAIMS and set(counts.values()) == {1}

    def test_permanent_failure_leaves_error_checkpoints_and_a_rerun_finishes(self, loaded: str):
        """A non-transient error is not retried: the run fails clearly, every claim gets an error checkpoint, nothing is lost."""
        faults.inject("check_step", times=1, error=ValueError("rule table unreadable"))
        state = lifecycle(LifecycleParams(steps=[Step.CODING_EDITS]), return_state=True)
        assert state.is_failed() and "1 chunk(s) failed" in state.message
        with session_scope(env_runtime().engine()) as session:
            errors = session.scalars(
                select(m.ClaimCheckpoint).where(m.ClaimCheckpoint.status == CheckpointStatus.ERROR)
            ).all()
            assert len(errors) == CLAIMS
            assert "ValueError: rule table unreadable" in errors[0].findings[0].message
        rerun = lifecycle(LifecycleParams(steps=[Step.CODING_EDITS]), return_state=True)
        assert rerun.is_completed()
        assert {k[2] for k in checkpoint_counts()} == {
            1,
            2,
        }  # errors are attempt 1, results attempt 2


class TestDailyIntake:
    def test_loads_checks_and_files_away(self, claim_db: str, inbox: Path):
        """The inbox is loaded, every claim checked, and the files moved to processed/."""
        (inbox / "broken.jsonl").write_text('{"type": "claim"\n')
        state = daily_intake(DailyIntakeParams(inbox=str(inbox)), return_state=True)
        assert state.is_failed()  # one file had nothing usable
        assert sorted(p.name for p in (inbox / "processed").iterdir()) == [
            "00-master-data.jsonl",
            "packet-2026-11-02.jsonl",
        ]
        said = (inbox / "failed" / "broken.jsonl.reason.txt").read_text()
        # What was wrong, not only where to look for it.
        assert said.startswith("every record was quarantined") and "; line 1" in said
        assert "expected" in said and "found" in said
        assert len(checkpoint_counts()) == CLAIMS * 4

    def test_unreadable_source_is_retried(self, claim_db: str, inbox: Path):
        """A file that cannot be read once is read on the retry; nothing is lost."""
        faults.inject("load_file", times=1, error=TransientSourceError("file busy"))
        state = daily_intake(DailyIntakeParams(inbox=str(inbox)), return_state=True)
        assert state.is_completed() and faults.fired("load_file") == 1
        with session_scope(env_runtime().engine()) as session:
            assert session.scalar(select(func.count()).select_from(m.Claim)) == CLAIMS


class TestReaudit:
    def test_a_form_with_nothing_selected_fails_in_one_sentence_under_its_name(self, claim_db: str):
        """What the UI's form cannot check (a selection), the flow checks first: the run
        fails saying which fields to fill, named after what was asked, with no traceback."""
        from prefect.client.orchestration import get_client

        state = reaudit(ReauditParams(reason="rates"), return_state=True)
        assert state.is_failed()
        assert state.message == (
            "select claims: claim ids, a payer, plan or provider and/or a date-of-service "
            "range, or the rule holding them (fill in Claim ids, Payer, Plan, Provider, the "
            "dates or Held by rule)"
        )
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(state.state_details.flow_run_id)
        assert run.name == "re-audit nothing selected"

    def test_reports_the_exact_diff_after_a_rule_change(
        self, loaded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ):
        """Lowering the default group maximum to 5 adds DEF-DOC-007 to exactly the claims in groups of 6 or more."""
        lifecycle(LifecycleParams(steps=[Step.DOCUMENTATION]))
        rules = tmp_path / "rules"
        shutil.copytree(RULES_ROOT / "payers", rules / "payers")
        shutil.copytree(RULES_ROOT / "tables", rules / "tables")
        doc = rules / "payers" / "_default" / "documentation.yaml"
        data = yaml.safe_load(doc.read_text())
        next(r for r in data["rules"] if r["id"] == "DEF-DOC-007")["require"]["max_size"] = 5
        doc.write_text(yaml.safe_dump(data))
        monkeypatch.setenv("CLAIMGUARD_RULES_DIR", str(rules))
        expected = _claims_newly_over(5)
        state = reaudit(
            ReauditParams(
                payer_id="keystone_commercial",
                steps=[Step.DOCUMENTATION],
                dry_run=True,
                reason="test: group maximum 5",
            ),
            return_state=True,
        )
        summary = state.result()
        with session_scope(env_runtime().engine()) as session:
            changes = list(changes_of(session, summary.batch_key, page=7))
        assert {c.claim_id for c in changes} == expected
        assert (summary.changed, summary.changes) == (len(expected), len(changes))
        assert all("DEF-DOC-007" in c.added and c.removed == [] for c in changes)
        assert len(checkpoint_counts()) == CLAIMS  # a dry run writes no checkpoint
        with session_scope(env_runtime().engine()) as session:
            run = session.scalars(select(m.AuditRun)).one()
            assert (run.reason, run.dry_run, run.counts["changed"]) == (
                "test: group maximum 5",
                True,
                len(expected),
            )
        assert env_runtime().rule_set().version != _shipped_version()

    def test_a_step_with_nothing_to_judge_yet_is_no_change(self, loaded: str):
        """Step 5 re-audited on claims not yet paid: nothing to judge, so nothing changed."""
        state = reaudit(
            ReauditParams(
                payer_id="keystone_commercial",
                steps=[Step.POST_PAYMENT_AUDIT],
                dry_run=True,
                reason="test: nothing paid yet",
            ),
            return_state=True,
        )
        summary = state.result()
        assert summary.claims > 0 and (summary.changed, summary.changes) == (0, 0)


def _shipped_version() -> str:
    from rules.loader import default_rule_set

    return default_rule_set().version


def _claims_newly_over(limit: int) -> set[str]:
    """Keystone claims in sessions over `limit` that DEF-DOC-007 did not hold before."""
    with session_scope(env_runtime().engine()) as session:
        sizes = dict(
            session.execute(
                select(m.SessionParticipant.session_id, func.count()).group_by(
                    m.SessionParticipant.session_id
                )
            ).all()
        )
        claims = session.execute(
            select(m.Claim.claim_id, m.Claim.session_id).where(
                m.Claim.payer_id == "keystone_commercial"
            )
        ).all()
        held = set(
            session.scalars(
                select(m.ClaimCheckpoint.claim_id)
                .join(m.CheckpointFinding)
                .where(m.CheckpointFinding.rule_id == "DEF-DOC-007")
            )
        )
    return {cid for cid, sid in claims if limit < sizes[sid] and cid not in held}


class TestStuckClaims:
    def test_finds_each_kind_of_stuck_claim(self, loaded: str):
        """Held too long, errored, ready not sent, sent not paid, near the filing limit, and a lease run out."""
        lifecycle(LifecycleParams())
        engine = env_runtime().engine()
        with session_scope(engine) as session:
            ready = sorted(session.scalars(select(m.Claim.claim_id)))
        from tasks.db.repository import mark_submitted

        with session_scope(engine) as session:
            mark_submitted(session, ready[:5])
            session.add(
                m.WorkChunk(
                    batch_key="dead-worker",
                    step=Step.VERIFICATION,
                    chunk_no=0,
                    claim_ids=ready[5:7],
                    state="running",
                    leased_by="host:1",
                    lease_expires_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                )
            )
        record_errors(
            engine,
            ready[7:9],
            Step.POST_PAYMENT_AUDIT,
            env_runtime().rule_set(),
            "TimeoutError: payer portal",
        )
        params = StuckClaimsParams(as_of=dt.date(2027, 9, 30), held_days=14)
        state = stuck_claims(params, return_state=True)
        assert state.is_completed()
        pages = find_stuck_claims.fn(env_runtime(), params, limit=10_000)
        kinds = {kind.value: {s.claim_id for s in page.claims} for kind, page in pages.items()}
        assert {kind.value: page.total for kind, page in pages.items()} == {
            kind: len(ids) for kind, ids in kinds.items()
        }
        assert kinds["running_past_lease"] == set(ready[5:7])
        assert kinds["errored"] == set(ready[7:9])
        assert kinds["no_remittance"] == set(ready[:5])
        assert kinds["held_too_long"] and kinds["ready_not_submitted"]
        assert kinds["timely_filing"] == set(ready) - set(ready[:5])
        assert state.result()["timely_filing"] == len(ready) - 5
