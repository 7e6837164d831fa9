"""The whole main job at several sizes: intake (JSON + 837P), steps 1-4, 835 posting, step 5.

For each size and each database (SQLite always; PostgreSQL when --postgres-url is given),
three runs over the same generated files, each in its own process (peak memory its own):

  core   the pure core: the files parsed and every step evaluated in memory, no Prefect,
         no database (837P claims mapped against master data held in memory)
  plain  the same job on the claim database, in plain Python (tasks.pipeline), per-step
         times, the revenue-leak report included
  flow   the same job as the daily-intake flow in Prefect's local mode

Ratios: plain/core is what the database costs; flow/plain is what orchestration costs. The
flow is also run once per database over an empty inbox: what Prefect costs whatever the
volume (its temporary server, the flow runs, their artifacts). The "beyond" column is the
flow's time less that, against the plain run. Results: benchmarks/results/main_job.json, a table, and
benchmarks/results/main_job.png (time and memory against N, log scales).

    python benchmarks/main_job.py [--sizes 10000 100000 1000000] [--postgres-url URL] [--days D]

By default the claims come at 5,000 a day, so a larger N is the same caseload over more
weeks (a year of one practice's claims): each patient's history, which steps 1-4 read for
frequency limits and duplicates, grows with N. `--days` fixes the period for every size,
so a larger N is a larger caseload and the per-claim work stays the same: that is the run
that tells whether the code itself is linear.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from peak import RssSampler, peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")
CLAIMS_PER_DAY = 5000


def prepare(claims: int, folder: Path, days: int | None = None) -> None:
    """Generate `claims` over `days` (default: CLAIMS_PER_DAY a day, so the same caseload
    of about 35,000 patients meets for more weeks as N grows, and each patient's history,
    which steps 1-4 read, grows with N; a fixed `days` grows the caseload instead)."""
    from tasks.synthetic.generator import GeneratorConfig, generate
    from tasks.synthetic.x12gen import write_claims, write_remittances

    days = days or max(1, claims // CLAIMS_PER_DAY)
    generate(GeneratorConfig(seed=3, claims=claims, start=dt.date(2026, 1, 5), days=days), folder)
    write_remittances(folder, seed=3, duplicate_files=0)
    write_claims(folder, seed=3)
    shutil.rmtree(folder / "ground-truth")


def run_core(folder: Path) -> dict[str, Any]:
    """Everything the job decides, in memory: parse, map, evaluate steps 1-4, parse 835s, match, audit."""
    from rules.context import ContextIndex
    from rules.engine import evaluate
    from rules.loader import default_rule_set
    from rules.matching import BilledLine, PaidLine, match_lines
    from rules.outcomes import PRE_SUBMISSION_STEPS, Step
    from rules.records import Coverage, GroupSession, Location, Payer, Plan, Provider
    from tasks.intake.reader import iter_raw, parse, parse_value
    from tasks.remit.post import to_remit_claim
    from tasks.settings import cache_folder, get_settings
    from tasks.startup import collector_paused, settle
    from tasks.x12.claims837 import claims as claims_of
    from tasks.x12.mapping import map_claim
    from tasks.x12.reader import read
    from tasks.x12.remit835 import payment

    # The collector as the database runs have it: start-up frozen, and paused while claims
    # are evaluated (the core holds every context, so each pass would walk them all).
    settle(cache_folder(get_settings()))
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    index = ContextIndex()
    for path in sorted(folder.glob("*.jsonl")):
        index.add(p.record for p in map(parse, iter_raw(path)) if p.record is not None)
    directory = _directory(index, Payer, Plan, Coverage, Provider, Location, GroupSession)
    for path in sorted(folder.glob("*.837")):
        for tx in read(path.read_bytes()).sets:
            for claim in claims_of(tx):
                mapped = map_claim(claim, directory)
                for value in mapped.records:
                    parsed = parse_value(None, value)  # type: ignore[arg-type]
                    if parsed.record is not None:
                        index.add([parsed.record])
    seconds["intake"] = time.perf_counter() - began
    rule_set = default_rule_set()
    contexts = {ctx.claim.claim_id: ctx for ctx in index.contexts()}
    for step in PRE_SUBMISSION_STEPS:
        began = time.perf_counter()
        with collector_paused():
            for ctx in contexts.values():
                evaluate(rule_set, ctx, step)
        seconds[step.value] = time.perf_counter() - began
    began = time.perf_counter()
    audited = 0
    postings = []
    for path in sorted(folder.glob("*.835")):
        for tx in read(path.read_bytes()).sets:
            for clp in payment(tx).claims:
                remitted = contexts.get(clp.control_number)
                if remitted is None:
                    continue
                billed = [
                    BilledLine(
                        ln.line_number,
                        ln.procedure_code,
                        tuple(ln.modifiers),
                        ln.units,
                        ln.charge,
                        ln.service_date,
                        ln.line_control_number,
                    )
                    for ln in remitted.claim.lines
                ]
                paid = [
                    PaidLine(
                        ln.position,
                        ln.procedure_code,
                        ln.original_code,
                        tuple(ln.modifiers),
                        ln.units_paid,
                        ln.charge,
                        ln.service_date,
                        ln.line_control_number,
                    )
                    for ln in clp.lines
                ]
                numbers = {
                    m.position: m.line_number for m in match_lines(billed, paid) if m.line_number
                }
                postings.append((remitted, to_remit_claim(clp, remitted.claim.claim_id, numbers)))
    seconds["remittances"] = time.perf_counter() - began
    began = time.perf_counter()
    from dataclasses import replace

    with collector_paused():
        for ctx, remit in postings:
            evaluate(rule_set, replace(ctx, remittance=remit), Step.POST_PAYMENT_AUDIT)
            audited += 1
    seconds["post_payment_audit"] = time.perf_counter() - began
    return {"claims": len(contexts), "audited": audited, "seconds": seconds}


def _directory(index: Any, *kinds: Any) -> Any:
    from tasks.x12.mapping import Directory

    directory = Directory()
    directory.payers = {k: v.kind for k, v in index.payers.items()}
    directory.plans = set(index.plans)
    for cov in index.coverage.values():
        plan = index.plans.get(cov.plan_id)
        for payer in {plan.payer_id if plan else None, cov.carveout_payer_id} - {None}:
            directory.coverage[(payer, cov.member_id)] = (cov.coverage_id, cov.patient_id)
    directory.providers = set(index.providers)
    directory.location_by_npi = {loc.npi: lid for lid, loc in index.locations.items() if loc.npi}
    for session in index.sessions.values():
        for pid in session.roster:
            directory.sessions.setdefault((pid, session.service_date), []).append(
                (session.session_id, frozenset(session.facilitator_npis))
            )
    return directory


def run_plain(folder: Path, url: str) -> dict[str, Any]:
    import rules.icd10
    from tasks import pipeline
    from tasks.runtime import Runtime
    from tasks.settings import get_settings
    from tasks.startup import use_cached_code_tables

    runtime = Runtime.from_settings(get_settings(), database_url=url)
    runtime.engine()  # create the schema, as `claimguard db upgrade` would
    use_cached_code_tables(runtime.code_cache)  # as the CLI and every flow do
    rules.icd10.problem("F33.1")  # the ICD-10-CM table load is start-up, not throughput
    # The report too: the flow writes it, so the flow/plain ratio compares the same work.
    with RssSampler() as sampler:
        result = pipeline.run(
            runtime, folder, workers=os.cpu_count() or 1, report_dir=folder / "reports"
        )
    return {
        "claims": result.claims_checked,
        "audited": result.claims_audited,
        "seconds": result.seconds,
        # Which phase the peak falls in, and the workers' share (not in peak_rss_mb).
        "phase_peak_mb": sampler.phase_peaks(result.seconds),
    }


def run_flow(folder: Path, url: str) -> dict[str, Any]:
    from flows.daily_intake import daily_intake
    from flows.params import DailyIntakeParams
    from flows.prefect_local import local_mode
    from tasks.db.session import open_database

    open_database(url)  # create the schema, as `claimguard db upgrade` would
    with local_mode():
        state = daily_intake(
            DailyIntakeParams(
                inbox=str(folder), report_dir=str(folder / "reports"), quiet_seconds=0
            ),
            return_state=True,
        )
    assert state.is_completed(), state.message
    return {"seconds": {}}


def child(args: argparse.Namespace) -> None:
    start = time.perf_counter()
    folder = Path(args.folder)
    if args.child == "core":
        result = run_core(folder)
    elif args.child == "plain":
        result = run_plain(folder, args.url)
    else:
        os.environ["CLAIMGUARD_DATABASE_URL"] = args.url
        result = run_flow(folder, args.url)
    result["wall_seconds"] = time.perf_counter() - start
    result["peak_rss_mb"] = peak_rss_mb()
    # Worker processes (chunk checking, X12 read-ahead) are not in this figure, and
    # RUSAGE_CHILDREN cannot tell them apart: a spawned child counts the parent's pages
    # from the fork before its exec.
    print(json.dumps(result))


def spawn(kind: str, folder: Path, url: str, home: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMGUARD_", "PREFECT_"))}
    env.update(
        PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PYTHONPATH=str(ROOT)
    )
    command = [sys.executable, __file__, "--child", kind, "--folder", str(folder), "--url", url]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


PG_SCHEMA_PREFIX = "cg_bench_"


def _pg_url(base: str) -> str:
    """A fresh schema per run, so each run starts from an empty claim database."""
    from sqlalchemy import text

    from tasks.db.session import make_engine

    schema = f"{PG_SCHEMA_PREFIX}{uuid.uuid4().hex[:10]}"
    with make_engine(base).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


def _drop_pg_schemas(base: str) -> None:
    """Drop every schema the benchmark made: a 100,000-claim run leaves hundreds of MB."""
    from sqlalchemy import text

    from tasks.db.session import make_engine

    with make_engine(base).begin() as connection:
        schemas = connection.scalars(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :prefix"),
            {"prefix": PG_SCHEMA_PREFIX + "%"},
        ).all()
        for schema in schemas:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


RUNS = ("core", "sqlite_plain", "sqlite_flow", "postgres_plain", "postgres_flow")


def _databases(postgres: str | None) -> dict[str, str | None]:
    """The databases measured: SQLite always (None: a file per run), PostgreSQL when given."""
    return {"sqlite": None, **({"postgres": postgres} if postgres else {})}


def measure(
    size: int,
    postgres: str | None,
    tmp: Path,
    runs: Sequence[str] = RUNS,
    days: int | None = None,
) -> dict[str, Any]:
    source = tmp / f"data-{size}"
    began = time.perf_counter()
    prepare(size, source, days)
    out: dict[str, Any] = {"claims": size, "days": days or max(1, size // CLAIMS_PER_DAY)}
    seconds = time.perf_counter() - began
    print(f"{size:,} claims over {out['days']} days generated in {seconds:.0f} s", flush=True)
    if "core" in runs:
        out["core"] = spawn("core", source, "", tmp / "h-core")
    for name, base in _databases(postgres).items():
        for kind in ("plain", "flow"):
            if f"{name}_{kind}" not in runs:
                continue
            folder = tmp / f"{name}-{kind}-{size}"
            shutil.copytree(source, folder)
            url = f"sqlite:///{tmp / f'{name}-{kind}-{size}.db'}" if base is None else _pg_url(base)
            home = _prefect_home(tmp, name) if kind == "flow" else tmp / f"h-{name}-{kind}"
            out[f"{name}_{kind}"] = spawn(kind, folder, url, home)
            shutil.rmtree(folder)
    shutil.rmtree(source)
    return out


def measure_fixed(postgres: str | None, tmp: Path, runs: Sequence[str]) -> dict[str, Any]:
    """The flow over an empty inbox, once per database whose flow is measured.

    It runs twice in the Prefect home the sized flow runs use, and the second run is the
    figure: the first builds Prefect's database (seconds a day's run does not spend), so
    every measured flow run, empty or not, finds it built. The first is kept as `first`.
    """
    fixed: dict[str, Any] = {}
    for name, base in _databases(postgres).items():
        if f"{name}_flow" not in runs:
            continue
        folder = tmp / f"{name}-empty"
        folder.mkdir()
        url = f"sqlite:///{tmp / f'{name}-empty.db'}" if base is None else _pg_url(base)
        home = _prefect_home(tmp, name)
        first = spawn("flow", folder, url, home)
        fixed[f"{name}_flow"] = {**spawn("flow", folder, url, home), "first": first}
    return fixed


def _prefect_home(tmp: Path, database: str) -> Path:
    """One Prefect home per database for every flow run, the empty ones included."""
    return tmp / f"h-{database}-flow"


def chart(results: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = sorted({k for r in results for k in r if k in RUNS}, key=RUNS.index)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for run in runs:
        measured = [r for r in results if run in r]  # a size may have measured some runs only
        sizes = [r["claims"] for r in measured]
        left.plot(sizes, [r[run]["wall_seconds"] for r in measured], marker="o", label=run)
        right.plot(sizes, [r[run]["peak_rss_mb"] for r in measured], marker="o", label=run)
    first = results[0]
    base = first[next(run for run in runs if run in first)]["wall_seconds"]
    sizes = [r["claims"] for r in results]
    left.plot(sizes, [base * s / sizes[0] for s in sizes], "k:", label="linear")
    for axis, label in ((left, "wall seconds"), (right, "peak memory (MB)")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("claims")
        axis.set_ylabel(label)
        axis.legend(fontsize=7)
    left.set_title("Time against N")
    right.set_title("Memory against N")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--postgres-url", default=os.environ.get("CLAIMGUARD_BENCH_POSTGRES_URL"))
    parser.add_argument("--child")
    parser.add_argument("--folder")
    parser.add_argument("--url", default="")
    # At 1,000,000 claims the pure core holds every claim in memory for about an hour:
    # naming the runs lets the largest size measure the database runs alone.
    parser.add_argument("--runs", nargs="+", choices=RUNS, default=list(RUNS))
    parser.add_argument("--name", default="main_job", help="results file name, without suffix")
    parser.add_argument(
        "--days",
        type=int,
        help="service days for every size (default: one per 5,000 claims, a fixed caseload)",
    )
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            fixed = measure_fixed(args.postgres_url, Path(tmp), args.runs)
            for size in args.sizes:
                results.append(measure(size, args.postgres_url, Path(tmp), args.runs, args.days))
                print(table([results[-1]], fixed))
        finally:
            if args.postgres_url:
                _drop_pg_schemas(args.postgres_url)
    RESULTS.mkdir(exist_ok=True)
    summary = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "fixed": fixed,
        "results": results,
    }
    (RESULTS / f"{args.name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    chart(results, RESULTS / f"{args.name}.png")
    print(f"\nwrote {RESULTS / args.name}.json and {RESULTS / args.name}.png")


def beyond_fixed(r: dict[str, Any], run: str, fixed: dict[str, Any]) -> float | None:
    """The flow's time less its empty-inbox time, over the plain run's: orchestration's share."""
    plain = r.get(run.replace("_flow", "_plain"))
    if not run.endswith("_flow") or run not in fixed or plain is None:
        return None
    work = r[run]["wall_seconds"] - fixed[run]["wall_seconds"]
    return float(work / plain["wall_seconds"] - 1)


def table(results: list[dict[str, Any]], fixed: dict[str, Any] | None = None) -> str:
    fixed = fixed or {}
    lines = [
        f"{'claims':>9} {'run':14} {'wall s':>8} {'claims/s':>9} {'peak MB':>8} {'vs core':>8} {'beyond':>7}  per phase (s/peak MB)"
    ]
    for r in results:
        core = r["core"]["wall_seconds"] if "core" in r else None
        for run, data in r.items():
            if not isinstance(data, dict):  # the size and the days, not a run
                continue
            ratio = f"{data['wall_seconds'] / core:8.2f}" if core else f"{'-':>8}"
            extra = beyond_fixed(r, run, fixed)
            beyond = f"{extra:+7.1%}" if extra is not None else f"{'-':>7}"
            peaks = data.get("phase_peak_mb", {})
            phases = " ".join(
                f"{k[:12]}={v:.1f}" + (f"/{peaks[k]['own']:.0f}MB" if k in peaks else "")
                for k, v in data.get("seconds", {}).items()
            )
            lines.append(
                f"{r['claims']:>9,} {run:14} {data['wall_seconds']:8.1f} {r['claims'] / data['wall_seconds']:9,.0f} "
                f"{data['peak_rss_mb']:8.0f} {ratio} {beyond}  {phases}"
            )
    for run, data in fixed.items():
        lines.append(
            f"{'empty':>9} {run:14} {data['wall_seconds']:8.1f}  (the flow over an empty inbox; "
            f"{data['first']['wall_seconds']:.1f} s the first time, building Prefect's database)"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
