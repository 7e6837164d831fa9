"""The daily intake at volume: load + steps 1-4 through Prefect (local mode) versus the same work in plain Python.

Each run is its own process on a fresh SQLite database over the same generated inbox, so
wall time and peak memory are its own. The ratio compares the flow's time (after Prefect's
start-up) with the plain run: Prefect's share of the work.

    python benchmarks/daily_intake.py [--claims 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).with_name("results")


def plain(inbox: Path) -> dict[str, float]:
    from rules.outcomes import PRE_SUBMISSION_STEPS
    from tasks.db.selection import select_claims
    from tasks.db.session import session_scope, shared_engine
    from tasks.intake.loader import load_paths
    from tasks.pipeline import check_claims
    from tasks.settings import get_settings

    start = time.perf_counter()
    engine = shared_engine()
    load_paths(engine, [inbox])
    loaded = time.perf_counter()
    with session_scope(engine) as session:
        ids = select_claims(session, unchecked_steps=PRE_SUBMISSION_STEPS)
    check_claims(engine, ids, PRE_SUBMISSION_STEPS, workers=get_settings().workers or 1)
    end = time.perf_counter()
    return {
        "work_seconds": end - start,
        "load_seconds": loaded - start,
        "steps_seconds": end - loaded,
        "claims": len(ids),
    }


def prefect_flow(inbox: Path) -> dict[str, float]:
    from flows.daily_intake import daily_intake
    from flows.params import DailyIntakeParams

    start = time.perf_counter()
    from prefect import get_client  # noqa: F401 - import cost counted in the flow run

    state = daily_intake(DailyIntakeParams(inbox=str(inbox)), return_state=True)
    end = time.perf_counter()
    assert state.is_completed(), state.message
    return {"flow_call_seconds": end - start}


def child(mode: str, inbox: str) -> None:
    process_start = time.perf_counter()
    result = plain(Path(inbox)) if mode == "plain" else prefect_flow(Path(inbox))
    result["process_seconds"] = time.perf_counter() - process_start
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Worker processes (chunk checking, X12 read-ahead) are not in this figure, and
    # RUSAGE_CHILDREN cannot tell them apart: a spawned child counts the parent's pages
    # from the fork before its exec.
    print(json.dumps(result))


def run(mode: str, inbox: Path, workdir: Path, workers: int) -> dict[str, float]:
    env = {
        **os.environ,
        "CLAIMGUARD_DATABASE_URL": f"sqlite:///{workdir / (mode + '.db')}",
        "PREFECT_HOME": str(workdir / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "CLAIMGUARD_WORKERS": str(workers),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--inbox", str(inbox)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes checking chunks"
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--inbox", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.inbox)
        return
    from tasks.synthetic.generator import GeneratorConfig, generate

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "generated"
        generate(GeneratorConfig(seed=1, claims=args.claims), source)
        shutil.rmtree(source / "ground-truth")
        results = {}
        for mode in ("plain", "prefect"):
            inbox = work / f"inbox-{mode}"
            shutil.copytree(source, inbox)
            results[mode] = run(mode, inbox, work, args.workers)
    p, f = results["plain"], results["prefect"]
    overhead = f["flow_call_seconds"] / p["work_seconds"] - 1
    summary = {
        "claims": args.claims,
        "workers": args.workers,
        "plain": p,
        "prefect": f,
        "prefect_wall_seconds": round(f["wall_seconds"], 1),
        "claims_per_second_end_to_end": round(args.claims / f["wall_seconds"]),
        "flow_over_plain_ratio": round(f["flow_call_seconds"] / p["work_seconds"], 3),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }
    print(
        f"{args.claims:,} claims, daily-intake (load + steps 1-4), SQLite, Prefect local mode, {args.workers} worker(s): "
        f"{f['wall_seconds']:.1f} s wall ({args.claims / f['wall_seconds']:,.0f} claims/s), flow call {f['flow_call_seconds']:.1f} s, peak {f['peak_rss_mb']:.0f} MB\n"
        f"same work in plain Python: {p['work_seconds']:.1f} s (load {p['load_seconds']:.1f} s, steps {p['steps_seconds']:.1f} s), peak {p['peak_rss_mb']:.0f} MB\n"
        f"flow call / plain work: {summary['flow_over_plain_ratio']} (Prefect's share including its start-up: {overhead:+.0%})"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "daily_intake.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
