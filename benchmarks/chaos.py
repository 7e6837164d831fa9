"""`make chaos`: the main job under injected faults and a SIGKILL, at a larger volume than the tests.

Phase 1 (faults): daily-intake on generated 837P/JSON/835 files with transient faults
injected at `--rate` into file reads, step checks and 835 posting; failed files are put
back and the run repeated (as an operator would) until it completes. Then every claim
must have exactly one result checkpoint per step 1-4, every payment must be posted once,
and the file counts must reconcile.
Phase 2 (kill): the same inbox run by the CLI in its own process group, killed with
SIGKILL in the middle of the steps, run again; the final checkpoint state must equal an
uninterrupted run's.

    python benchmarks/chaos.py [--claims 5000] [--rate 0.1]
Exit status 0 when every invariant holds. Results: benchmarks/results/chaos.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")
sys.path.insert(0, str(ROOT))  # tests.support.faults, the fault injection this run installs

from tests.support.faults import environment as fault_environment  # noqa: E402


def _init_db(url: str) -> None:
    """What `claimguard db init` does: `run` works on a database that is there."""
    from tasks.db.migrate import upgrade
    from tasks.db.session import make_engine

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def make_inbox(folder: Path, claims: int) -> None:
    from tasks.synthetic.generator import GeneratorConfig, generate
    from tasks.synthetic.x12gen import write_claims, write_remittances

    generate(GeneratorConfig(seed=99, claims=claims, start=dt.date(2026, 8, 3), days=56), folder)
    write_remittances(folder, seed=99)
    write_claims(folder, seed=99)
    shutil.rmtree(folder / "ground-truth")


def _env(home: Path, url: str, faults: str = "") -> dict[str, str]:
    _init_db(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMGUARD_", "PREFECT_"))}
    env.update(
        CLAIMGUARD_DATABASE_URL=url,
        PREFECT_HOME=str(home / ".prefect"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PYTHONPATH=str(ROOT),
    )
    if faults:
        # Every process of the run (the CLI, Prefect's temporary server, the chunk
        # workers) installs the faults at start-up: tests/support/faults.py.
        env.update(fault_environment(faults))
    return env


def _command(inbox: Path) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from flows.cli import main; main()",
        "run",
        "--inbox",
        str(inbox),
        "--chunk-size",
        "500",
        "--quiet-seconds",  # the files were written before the run, all at once
        "0",
    ]


def refile(inbox: Path) -> int:
    moved = 0
    for path in (inbox / "failed").glob("*"):
        if path.name.endswith(".reason.txt"):
            path.unlink()
        else:
            shutil.move(str(path), inbox / path.name)
            moved += 1
    return moved


def state_of(db: Path) -> dict[str, Any]:
    with sqlite3.connect(db) as c:
        latest = c.execute(
            "SELECT claim_id, step, status, findings FROM claim_checkpoint WHERE id IN ("
            " SELECT max(id) FROM claim_checkpoint WHERE status != 'error' GROUP BY claim_id, step)"
        ).fetchall()
        once = c.execute(
            "SELECT count(*) FROM (SELECT claim_id, step, count(*) n FROM claim_checkpoint"
            " WHERE status != 'error' AND step != 'post_payment_audit' GROUP BY claim_id, step) WHERE n != 1"
        ).fetchone()[0]
        return {
            "claims": c.execute("SELECT count(*) FROM claim").fetchone()[0],
            "checked_steps": c.execute(
                "SELECT count(DISTINCT claim_id || step) FROM claim_checkpoint WHERE status != 'error' AND step != 'post_payment_audit'"
            ).fetchone()[0],
            "checked_more_than_once": once,
            "error_checkpoints": c.execute(
                "SELECT count(*) FROM claim_checkpoint WHERE status = 'error'"
            ).fetchone()[0],
            "payments": c.execute("SELECT count(*) FROM remittance_payment").fetchone()[0],
            "distinct_traces": c.execute(
                "SELECT count(DISTINCT payer_key || trace_number) FROM remittance_payment"
            ).fetchone()[0],
            "files_reconcile": c.execute(
                "SELECT count(*) FROM intake_file WHERE finished_at IS NOT NULL AND records_in != inserted + updated + unchanged + quarantined"
            ).fetchone()[0]
            == 0,
            "latest": sorted((r[0], r[1], r[2], r[3]) for r in latest),
        }


def phase_faults(work: Path, claims: int, rate: float) -> dict[str, Any]:
    inbox = work / "faults-inbox"
    make_inbox(inbox, claims)
    db = work / "faults.db"
    faults = f"load_file:{rate},check_step:{rate},post_remittance:{rate}"
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        done = subprocess.run(
            _command(inbox),
            cwd=work,
            env=_env(work, f"sqlite:///{db}", faults),
            capture_output=True,
            text=True,
        )
        rounds.append(
            {
                "exit": done.returncode,
                "seconds": round(time.perf_counter() - start, 1),
                "fault_lines": done.stderr.count("injected fault"),
            }
        )
        if done.returncode == 0:
            break
        refile(inbox)
    state = state_of(db)
    state.pop("latest")
    ok = (
        rounds[-1]["exit"] == 0
        and state["checked_steps"] == state["claims"] * 4
        and state["checked_more_than_once"] == 0
        and state["payments"] == state["distinct_traces"]
        and state["files_reconcile"]
    )
    return {"ok": ok, "claims": claims, "rate": rate, "rounds": rounds, **state}


def phase_kill(work: Path, claims: int) -> dict[str, Any]:
    killed, clean = work / "kill-inbox", work / "clean-inbox"
    make_inbox(killed, claims)
    shutil.copytree(killed, clean)
    clean_db, killed_db = work / "clean.db", work / "killed.db"
    subprocess.run(
        _command(clean),
        cwd=work,
        env=_env(work, f"sqlite:///{clean_db}"),
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(_command(killed), cwd=work, env=_env(work, f"sqlite:///{killed_db}"),
                               start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    written = 0
    while process.poll() is None and written < claims:
        time.sleep(0.05)
        try:
            with sqlite3.connect(f"file:{killed_db}?mode=ro", uri=True, timeout=1) as c:
                written = c.execute("SELECT count(*) FROM claim_checkpoint").fetchone()[0]
        except sqlite3.Error:
            written = 0
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for path in (killed / "processed").glob("*"):
        shutil.move(str(path), killed / path.name)
    subprocess.run(
        _command(killed),
        cwd=work,
        env=_env(work, f"sqlite:///{killed_db}"),
        check=True,
        capture_output=True,
    )
    same = state_of(killed_db)["latest"] == state_of(clean_db)["latest"]
    return {
        "ok": same and 0 < written < claims * 4,
        "checkpoints_when_killed": written,
        "same_final_state": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        faults = phase_faults(Path(tmp), args.claims, args.rate)
        print(json.dumps({k: v for k, v in faults.items()}, indent=2))
        kill = phase_kill(Path(tmp), args.claims)
        print(json.dumps(kill, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "chaos.json").write_text(
        json.dumps({"faults": faults, "kill": kill}, indent=2) + "\n"
    )
    ok = faults["ok"] and kill["ok"]
    print("chaos: every invariant held" if ok else "chaos: AN INVARIANT FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
