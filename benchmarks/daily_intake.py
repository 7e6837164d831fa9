"""The daily intake at volume: load + steps 1-4 through Prefect (local mode) versus the same work in plain Python.

Each run is its own process on a fresh SQLite database over the same generated inbox, so
wall time and peak memory are its own. Beside the flow, the same flow over an empty inbox
measures what Prefect costs whatever the volume (its temporary server's start, the flow and
subflow runs, their artifacts, each run's heartbeat thread joined at its end). Orchestration
overhead is the flow's time less that fixed cost, against the plain run: Prefect's share of
the work itself.

    python benchmarks/daily_intake.py [--claims 100000 [300000 ...]] [--modes plain prefect]

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
    from tasks.inbox import load_paths
    from tasks.pipeline import check_selection
    from tasks.reports import build
    from tasks.runtime import Runtime
    from tasks.settings import get_settings
    from tasks.startup import settle

    start = time.perf_counter()
    runtime = Runtime.from_settings(get_settings())
    settle(runtime.code_cache)  # as the flow does: start-up objects frozen before the work
    load_paths(runtime.engine(), [inbox])
    loaded = time.perf_counter()
    claims = check_selection(
        runtime,
        {"unchecked_steps": PRE_SUBMISSION_STEPS},
        PRE_SUBMISSION_STEPS,
        workers=runtime.workers or 1,
    )
    # As the flow does on a day without remittances: the report and queues written again.
    build.write(runtime.engine(), runtime.rule_set(), inbox.parent / "reports-plain")
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
    from flows.prefect_local import local_mode

    start = time.perf_counter()
    from prefect import get_client  # noqa: F401 - import cost counted in the flow run

    with local_mode():
        # The benchmark wrote the inbox itself: no file is still being written.
        params = DailyIntakeParams(
            inbox=str(inbox), quiet_seconds=0, report_dir=str(inbox.parent / "reports-flow")
        )
        state = daily_intake(params, return_state=True)
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


def run(mode: str, inbox: Path, workdir: Path, workers: int, home: Path) -> dict[str, float]:
    env = {
        **os.environ,
        "CLAIMGUARD_DATABASE_URL": f"sqlite:///{workdir / (mode + '.db')}",
        "PREFECT_HOME": str(home),
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
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, nargs="+", default=[100_000])
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
    flows = "prefect" in args.modes
    with tempfile.TemporaryDirectory() as tmp:
        work, home = Path(tmp), Path(tmp) / "prefect"
        empty = work / "inbox-empty"
        empty.mkdir()
        # Every measured flow run finds Prefect's database built, as a day's run does: the
        # first run on a new one spends seconds creating it, and whichever run came first
        # would carry that cost alone (up to 7 s: 12 points of the 100,000-claim overhead).
        # The first run is reported apart.
        first = run("prefect", empty, work, args.workers, home) if flows else None
        sizes = {claims: measure(claims, work / str(claims), args, home) for claims in args.claims}
        fixed = run("prefect", empty, work, args.workers, home) if flows else None
    summary = report(args, sizes, fixed, first)
    RESULTS.mkdir(exist_ok=True)
    both = {"plain", "prefect"} <= set(args.modes)
    name = "daily_intake.json" if both else f"daily_intake_{'_'.join(args.modes)}.json"
    (RESULTS / name).write_text(json.dumps(summary, indent=2) + "\n")


def measure(
    claims: int, work: Path, args: argparse.Namespace, home: Path
) -> dict[str, dict[str, float]]:
    """Each mode once over its own copy of one generated day of `claims` claims."""
    from tasks.synthetic.generator import GeneratorConfig, generate

    source = work / "generated"
    generate(GeneratorConfig(seed=1, claims=claims), source)
    shutil.rmtree(source / "ground-truth")
    results = {}
    for mode in args.modes:
        inbox = work / f"inbox-{mode}"
        shutil.copytree(source, inbox)
        results[mode] = run(mode, inbox, work, args.workers, home)
    shutil.rmtree(work)
    return results


def report(
    args: argparse.Namespace,
    sizes: dict[int, dict[str, dict[str, float]]],
    fixed: dict[str, float] | None,
    first: dict[str, float] | None,
) -> dict[str, object]:
    """Print the table and return the JSON summary: each size, and between two sizes the
    marginal overhead, which no fixed cost of a run (server, worker start, artifacts) is in."""
    lines = [f"daily-intake (load + steps 1-4), SQLite, {args.workers} worker(s)"]
    if fixed is not None and first is not None:
        lines.append(
            f"the flow over an empty inbox: {fixed['flow_call_seconds']:.1f} s "
            f"({first['flow_call_seconds']:.1f} s the first time, building Prefect's database)"
        )
    per_size = {}
    for claims, results in sizes.items():
        per_size[str(claims)] = _size_summary(claims, results, fixed, lines)
    summary: dict[str, object] = {
        "workers": args.workers,
        "sizes": per_size,
        "prefect_empty": fixed,
        "prefect_empty_first": first,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }
    marginal = _marginal(sizes)
    if marginal is not None:
        summary["marginal_overhead"] = round(marginal, 3)
        low, high = min(sizes), max(sizes)
        lines.append(
            f"from {low:,} to {high:,} claims, each further claim costs the flow "
            f"{marginal:+.1%} of what it costs plain Python (goal: under 10 %)"
        )
    print("\n".join(lines))
    return summary


def _size_summary(
    claims: int,
    results: dict[str, dict[str, float]],
    fixed: dict[str, float] | None,
    lines: list[str],
) -> dict[str, object]:
    out: dict[str, object] = {"claims": claims, **results}
    p, f = results.get("plain"), results.get("prefect")
    if f is not None:
        out["claims_per_second_end_to_end"] = round(claims / f["wall_seconds"])
        lines.append(
            f"{claims:,} claims, flow (local mode): {f['wall_seconds']:.1f} s wall "
            f"({claims / f['wall_seconds']:,.0f} claims/s), flow call {f['flow_call_seconds']:.1f} s, "
            f"peak {f['peak_rss_mb']:.0f} MB"
        )
    if p is not None:
        lines.append(
            f"{claims:,} claims, plain Python: {p['work_seconds']:.1f} s (load {p['load_seconds']:.1f} s, "
            f"steps {p['steps_seconds']:.1f} s), {claims / p['work_seconds']:,.0f} claims/s, "
            f"peak {p['peak_rss_mb']:.0f} MB"
        )
    if p is not None and f is not None:
        out["flow_over_plain_ratio"] = round(f["flow_call_seconds"] / p["work_seconds"], 3)
        if fixed is not None:
            overhead = (f["flow_call_seconds"] - fixed["flow_call_seconds"]) / p["work_seconds"] - 1
            out["orchestration_overhead"] = round(overhead, 3)
            lines.append(
                f"{claims:,} claims: beyond the empty-inbox flow, orchestration costs "
                f"{overhead:+.1%} of the plain work"
            )
    return out


def _marginal(sizes: dict[int, dict[str, dict[str, float]]]) -> float | None:
    """(flow(N2) - flow(N1)) / (plain(N2) - plain(N1)) - 1 between the smallest and largest size.

    The empty inbox starts no worker processes and writes no held-claims table, so what a run
    spends on those once is still in each size's "beyond" figure; the difference between two
    sizes leaves out every such once-a-run cost and keeps what orchestration adds per claim.
    """
    if len(sizes) < 2:
        return None
    low, high = sizes[min(sizes)], sizes[max(sizes)]
    if not all({"plain", "prefect"} <= set(r) for r in (low, high)):
        return None
    flow = high["prefect"]["flow_call_seconds"] - low["prefect"]["flow_call_seconds"]
    plain = high["plain"]["work_seconds"] - low["plain"]["work_seconds"]
    return flow / plain - 1 if plain > 0 else None


if __name__ == "__main__":
    main()
