"""End to end: a real `prefect server`, the served deployments, and a re-audit triggered through the API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from rules.loader import default_rule_set
from rules.outcomes import PRE_SUBMISSION_STEPS
from tasks.checking import check_chunk, claims_of_files
from tasks.db import models as m
from tasks.db.migrate import upgrade
from tasks.db.session import make_engine, session_scope
from tasks.inbox import load_paths
from tasks.synthetic.generator import GeneratorConfig, generate

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.prefect


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def environment(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A claim database with checked claims, a Prefect server and the serve process, all on this machine."""
    db_url = f"sqlite:///{tmp_path / 'claims.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    generate(GeneratorConfig(seed=77, claims=120), tmp_path / "in")
    load_paths(engine, [tmp_path / "in"])
    check_chunk(engine, claims_of_files(engine), PRE_SUBMISSION_STEPS, default_rule_set())
    api = f"http://127.0.0.1:{free_port()}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CLAIMGUARD_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_API_URL=api,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        CLAIMGUARD_DATABASE_URL=db_url,
        CLAIMGUARD_INBOX_QUIET_SECONDS="0",  # the test wrote the inbox just now
    )
    port = api.rsplit(":", 1)[1].split("/")[0]
    logs = (tmp_path / "server.log").open("w"), (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", port],
        env=env,
        cwd=tmp_path,
        stdout=logs[0],
        stderr=subprocess.STDOUT,
    )
    serve = None
    try:
        wait_until(lambda: healthy(api), 120, "prefect server")
        serve = subprocess.Popen(
            [sys.executable, "-m", "deployments.serve"],
            env=env,
            cwd=ROOT,
            stdout=logs[1],
            stderr=subprocess.STDOUT,
        )
        yield env
    finally:
        for process in (serve, server):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        engine.dispose()


def prefect_cli(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_reaudit_through_the_api(environment: dict[str, str]):
    """The served re-audit deployment runs with parameters given through the API and writes its checkpoints."""
    env = environment
    wait_until(
        lambda: (
            prefect_cli(env, "deployment", "inspect", "re-audit/re-audit", timeout=60).returncode
            == 0
        ),
        120,
        "re-audit deployment",
    )
    params = {
        "params": {
            "payer_id": "medicare",
            "steps": ["documentation"],
            "reason": "end-to-end test",
            "dry_run": False,
        }
    }
    run = prefect_cli(
        env,
        "deployment",
        "run",
        "re-audit/re-audit",
        "--params",
        json.dumps(params),
        "--watch",
        "--watch-timeout",
        "240",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Completed" in run.stdout
    engine = make_engine(env["CLAIMGUARD_DATABASE_URL"])
    with session_scope(engine) as session:
        medicare = session.scalar(
            select(func.count()).select_from(m.Claim).where(m.Claim.payer_id == "medicare")
        )
        second = session.scalar(
            select(func.count())
            .select_from(m.ClaimCheckpoint)
            .where(m.ClaimCheckpoint.attempt == 2)
        )
        audit = session.scalars(select(m.AuditRun)).one()
    assert medicare and second == medicare
    assert (audit.reason, audit.counts["claims"]) == ("end-to-end test", medicare)
    engine.dispose()
