"""The daily intake at volume: load + steps 1-4 through Prefect (local mode) versus the same work in plain Python.

Each run is its own process on a fresh SQLite database over the same generated inbox, so
wall time and peak memory are its own. Beside the flow, the same flow over an empty inbox
measures what Prefect costs whatever the volume (its temporary server's start, the flow and
subflow runs, their artifacts, each run's heartbeat thread joined at its end). Orchestration
overhead is the flow's time less that fixed cost, against the plain run: Prefect's share of
the work itself.

    python benchmarks/daily_intake.py [--claims 100000] [--modes plain prefect]

`--modes plain` alone measures the work without Prefect (a 1,000,000-claim day, say, where
the flow's run would add nothing but another hour).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peak import peak_rss_mb

RESULTS = Path(__file__).with_name("results")


def plain(inbox: Path) -> dict[str, float]:
    from rules.outcomes import PRE_SUBMISSION_STEPS
    from tasks.db.session import shared_engine
    from tasks.intake.loader import load_paths
    from tasks.pipeline import check_chunks, selected_pages
    from tasks.settings import get_settings
    from tasks.startup import settle

    start = time.perf_counter()
    settle()  # as the flow does: start-up objects frozen before the work
    engine = shared_engine()
    load_paths(engine, [inbox])
    loaded = time.perf_counter()
    pages = selected_pages(engine, unchecked_steps=PRE_SUBMISSION_STEPS)
    claims = check_chunks(engine, pages, PRE_SUBMISSION_STEPS, workers=get_settings().workers or 1)
    end = time.perf_counter()
    return {
        "work_seconds": end - start,
        "load_seconds": loaded - start,
        "steps_seconds": end - loaded,
        "claims": claims,
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
    result["peak_rss_mb"] = peak_rss_mb()
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
    parser.add_argument(
        "--modes", nargs="+", choices=("plain", "prefect"), default=["plain", "prefect"]
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
        for mode in args.modes:
            inbox = work / f"inbox-{mode}"
            shutil.copytree(source, inbox)
            results[mode] = run(mode, inbox, work, args.workers)
        if "prefect" in args.modes:
            (work / "inbox-empty").mkdir()
            results["prefect_empty"] = run("prefect", work / "inbox-empty", work, args.workers)
    report(args, results)


def report(args: argparse.Namespace, results: dict[str, dict[str, float]]) -> None:
    summary: dict[str, object] = {
        "claims": args.claims,
        "workers": args.workers,
        **results,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }
    lines = [
        f"{args.claims:,} claims, daily-intake (load + steps 1-4), SQLite, {args.workers} worker(s)"
    ]
    p, f = results.get("plain"), results.get("prefect")
    if f is not None:
        summary["prefect_wall_seconds"] = round(f["wall_seconds"], 1)
        summary["claims_per_second_end_to_end"] = round(args.claims / f["wall_seconds"])
        lines.append(
            f"flow, Prefect local mode: {f['wall_seconds']:.1f} s wall ({args.claims / f['wall_seconds']:,.0f} claims/s), "
            f"flow call {f['flow_call_seconds']:.1f} s, peak {f['peak_rss_mb']:.0f} MB"
        )
    if p is not None:
        lines.append(
            f"same work in plain Python: {p['work_seconds']:.1f} s (load {p['load_seconds']:.1f} s, steps {p['steps_seconds']:.1f} s), "
            f"{args.claims / p['work_seconds']:,.0f} claims/s, peak {p['peak_rss_mb']:.0f} MB"
        )
    if p is not None and f is not None:
        ratio = f["flow_call_seconds"] / p["work_seconds"]
        summary["flow_over_plain_ratio"] = round(ratio, 3)
        lines.append(
            f"flow call / plain work: {ratio:.3f} (Prefect's share including its start-up: {ratio - 1:+.0%})"
        )
        empty = results.get("prefect_empty")
        if empty is not None:
            fixed = empty["flow_call_seconds"]
            overhead = (f["flow_call_seconds"] - fixed) / p["work_seconds"] - 1
            summary["prefect_fixed_seconds"] = round(fixed, 1)
            summary["orchestration_overhead"] = round(overhead, 3)
            lines.append(
                f"the flow over an empty inbox: {fixed:.1f} s; beyond it, orchestration costs "
                f"{overhead:+.1%} of the plain work (goal: under 10 %)"
            )
    print("\n".join(lines))
    RESULTS.mkdir(exist_ok=True)
    name = (
        "daily_intake.json"
        if {"plain", "prefect"} <= set(results)
        else f"daily_intake_{args.claims}_{'_'.join(results)}.json"
    )
    (RESULTS / name).write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
