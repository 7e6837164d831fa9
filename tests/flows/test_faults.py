"""Faults: transient errors at a set rate, a full disk, a read-only database, and SIGKILL.

Every claim ends checked exactly once (or in `error` with a reason), nothing recorded
before a failure is lost, and a run killed mid-step and run again ends where an
uninterrupted run ends.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from flows.daily_intake import daily_intake
from flows.params import DailyIntakeParams
from rules.outcomes import PRE_SUBMISSION_STEPS, CheckpointStatus
from tasks.db import models as m
from tasks.db.migrate import upgrade
from tasks.db.session import make_engine, session_scope
from tasks.inbox import load_paths
from tasks.synthetic.generator import GeneratorConfig, generate
from tasks.synthetic.x12gen import write_claims, write_remittances
from tests.support import faults
from tests.support.runtime import env_runtime

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]
SEED = 47
CLAIMS = 200


def make_inbox(folder: Path) -> Path:
    generate(GeneratorConfig(seed=SEED, claims=CLAIMS, start=dt.date(2026, 9, 7), days=28), folder)
    write_remittances(folder, seed=SEED)
    write_claims(folder, seed=SEED)
    shutil.rmtree(folder / "ground-truth")
    return folder


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    return make_inbox(tmp_path / "inbox")


def final_state(url: str) -> dict[str, object]:
    """What a run leaves: each claim's newest checkpoint per step, payments and claims."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        newest = (
            select(func.max(m.ClaimCheckpoint.id))
            .where(m.ClaimCheckpoint.status != CheckpointStatus.ERROR)
            .group_by(m.ClaimCheckpoint.claim_id, m.ClaimCheckpoint.step)
        )
        rows = session.execute(
            select(
                m.ClaimCheckpoint.claim_id,
                m.ClaimCheckpoint.step,
                m.ClaimCheckpoint.status,
                m.ClaimCheckpoint.findings,
            ).where(m.ClaimCheckpoint.id.in_(newest))
        )
        latest = {
            (c, s.value): (st.value, tuple(sorted(f.rule_id for f in fs))) for c, s, st, fs in rows
        }
        state = {
            "latest": latest,
            "claims": session.scalar(select(func.count()).select_from(m.Claim)),
            "payments": sorted(session.scalars(select(m.RemittancePayment.trace_number))),
            "quarantined": session.scalar(select(func.count()).select_from(m.IntakeQuarantine)),
        }
    engine.dispose()
    return state


def claim_ids() -> set[str]:
    with session_scope(env_runtime().engine()) as session:
        return set(session.scalars(select(m.Claim.claim_id)))


def refile_failed(inbox: Path) -> None:
    """Put files a failed run set aside back in the inbox, as an operator would after a fix."""
    for path in (inbox / "failed").glob("*"):
        if path.name.endswith(".reason.txt"):
            path.unlink()
        else:
            shutil.move(str(path), inbox / path.name)


class TestTransientFaults:
    def test_every_claim_is_checked_exactly_once_under_injected_faults(
        self, claim_db, inbox, monkeypatch
    ):
        spec = "check_step:0.2,load_file:0.2,post_remittance:0.2"
        faults.install(spec, seed="7")  # this process: the files, and chunks checked here
        for name, value in faults.environment(spec, seed="7").items():
            monkeypatch.setenv(name, value)  # the chunk workers Prefect spawns
        for _ in range(3):  # a run whose retries ran out leaves work for the next one
            state = daily_intake(
                DailyIntakeParams(inbox=str(inbox), chunk_size=100), return_state=True
            )
            if state.is_completed():
                break
            refile_failed(inbox)
        assert state.is_completed(), state.message
        assert faults.fired("check_step") + faults.fired("load_file") > 0
        with session_scope(env_runtime().engine()) as session:
            claims = set(session.scalars(select(m.Claim.claim_id)))
            per_step = session.execute(
                select(m.ClaimCheckpoint.claim_id, m.ClaimCheckpoint.step, func.count())
                .where(
                    m.ClaimCheckpoint.status != CheckpointStatus.ERROR,
                    m.ClaimCheckpoint.step.in_(PRE_SUBMISSION_STEPS),
                )
                .group_by(m.ClaimCheckpoint.claim_id, m.ClaimCheckpoint.step)
            ).all()
            traces = list(session.scalars(select(m.RemittancePayment.trace_number)))
        assert len(claims) == CLAIMS
        assert {(c, s) for c, s, _ in per_step} == {
            (c, s) for c in claims for s in PRE_SUBMISSION_STEPS
        }
        assert {n for _, _, n in per_step} == {1}  # checked once: no duplicate checkpoint
        assert len(traces) == len(set(traces)) > 0  # each payment posted once


class TestStorageFaults:
    def test_a_full_disk_fails_the_run_cleanly_and_keeps_what_was_recorded(
        self, claim_db, inbox, monkeypatch
    ):
        engine = env_runtime().engine()
        first_week = sorted(inbox.glob("*.837"))[0]
        load_paths(engine, [*sorted(inbox.glob("*.jsonl")), first_week])
        first_week.unlink()
        before = claim_ids()
        with sqlite3.connect(claim_db.removeprefix("sqlite:///")) as connection:
            pages = connection.execute("PRAGMA page_count").fetchone()[0]
        engine.dispose()
        monkeypatch.setenv("CLAIMGUARD_SQLITE_MAX_PAGES", str(pages + 2))
        state = daily_intake(DailyIntakeParams(inbox=str(inbox)), return_state=True)
        assert state.is_failed()
        reasons = " ".join(p.read_text() for p in (inbox / "failed").glob("*.reason.txt"))
        assert "database or disk is full" in reasons
        monkeypatch.delenv("CLAIMGUARD_SQLITE_MAX_PAGES")
        env_runtime().engine().dispose()
        assert before and claim_ids() >= before  # nothing recorded before the disk filled is lost
        refile_failed(inbox)  # space freed: the same files again
        again = daily_intake(DailyIntakeParams(inbox=str(inbox)), return_state=True)
        assert again.is_completed(), again.message
        assert len(claim_ids()) == CLAIMS

    def test_a_read_only_database_fails_the_run_with_a_clear_error(
        self, claim_db, inbox, monkeypatch
    ):
        load_paths(env_runtime().engine(), sorted(inbox.glob("*.jsonl")))
        before = final_state(claim_db)
        env_runtime().engine().dispose()
        path = claim_db.removeprefix("sqlite:///")
        monkeypatch.setenv("CLAIMGUARD_DATABASE_URL", f"sqlite:///file:{path}?mode=ro&uri=true")
        files = sorted(p.name for p in inbox.iterdir())
        state = daily_intake(DailyIntakeParams(inbox=str(inbox)), return_state=True)
        # The run cannot take the inbox's lease: it fails before it reads or moves anything.
        assert state.is_failed() and "readonly database" in (state.message or "")
        assert sorted(p.name for p in inbox.iterdir()) == files
        assert final_state(claim_db) == before


class TestKill:
    def test_a_run_killed_mid_step_and_run_again_ends_like_an_uninterrupted_run(self, tmp_path):
        killed_inbox = make_inbox(tmp_path / "killed")
        clean_inbox = tmp_path / "clean"
        shutil.copytree(killed_inbox, clean_inbox)
        clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
        killed_url = f"sqlite:///{tmp_path / 'killed.db'}"
        reference = run_cli(tmp_path, clean_url, clean_inbox)
        assert reference.returncode == 0, reference.stderr

        process = start_cli(tmp_path, killed_url, killed_inbox)
        written = wait_for_checkpoints(tmp_path / "killed.db", process, at_least=150)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert 150 <= written < CLAIMS * 4, "the kill landed in the middle of the steps"
        for path in (killed_inbox / "processed").glob("*"):
            shutil.move(str(path), killed_inbox / path.name)  # what a crash leaves half-filed
        rerun = run_cli(tmp_path, killed_url, killed_inbox)
        assert rerun.returncode == 0, rerun.stderr
        assert final_state(killed_url) == final_state(clean_url)


def _env(cwd: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMGUARD_", "PREFECT_"))}
    return {
        **env,
        "CLAIMGUARD_DATABASE_URL": url,
        "CLAIMGUARD_INBOX_QUIET_SECONDS": "0",  # the test wrote the inbox just now
        "PREFECT_HOME": str(cwd / ".prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def _command(inbox: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from flows.cli import main; main()",
        "run",
        "--inbox",
        str(inbox),
        "--chunk-size",
        "100",
    ]


def init_db(url: str) -> None:
    """What `claimguard db init` does: `run` works on a database that is there."""
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def run_cli(cwd: Path, url: str, inbox: Path) -> subprocess.CompletedProcess[str]:
    init_db(url)
    return subprocess.run(
        _command(inbox), cwd=cwd, env=_env(cwd, url), capture_output=True, text=True, timeout=600
    )


def start_cli(cwd: Path, url: str, inbox: Path) -> subprocess.Popen[bytes]:
    init_db(url)
    # Its own process group: SIGKILL takes the temporary Prefect server with it, like a crash.
    return subprocess.Popen(
        _command(inbox), cwd=cwd, env=_env(cwd, url), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def wait_for_checkpoints(db: Path, process: subprocess.Popen[bytes], *, at_least: int) -> int:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
                    count = connection.execute("SELECT count(*) FROM claim_checkpoint").fetchone()[
                        0
                    ]
            except sqlite3.Error:
                count = 0
            if count >= at_least:
                return int(count)
        time.sleep(0.02)
    raise AssertionError("the run finished or stalled before it could be killed mid-step")
