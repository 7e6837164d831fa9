"""Generator and loader throughput (claims per second) and peak memory, at several sizes.

Each phase runs in its own process so its peak resident memory is its own. Results go to
benchmarks/results/intake.json and a table on standard output.

    python benchmarks/intake_throughput.py [--sizes 10000 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peak import peak_rss_mb

RESULTS = Path(__file__).with_name("results")


def phase_generate(claims: int, out: str) -> dict[str, float]:
    from tasks.synthetic.generator import GeneratorConfig, generate

    start = time.perf_counter()
    manifest = generate(
        GeneratorConfig(seed=1, claims=claims, days=max(1, claims // 2000)), Path(out)
    )
    return {"seconds": time.perf_counter() - start, "records": manifest.records}


def phase_load(claims: int, out: str, url: str) -> dict[str, float]:
    from tasks.db.session import open_database
    from tasks.inbox import load_paths

    engine = open_database(url)
    import rules.icd10
    from tasks.settings import cache_folder, get_settings
    from tasks.startup import use_cached_code_tables

    use_cached_code_tables(cache_folder(get_settings()))  # as the CLI and every flow do
    rules.icd10.problem("F33.1")  # the ICD-10-CM table load (~1.5 s) is start-up, not throughput
    start = time.perf_counter()
    reports = load_paths(engine, [Path(out)])
    seconds = time.perf_counter() - start
    assert all(r.reconciles for r in reports)
    return {
        "seconds": seconds,
        "records": sum(r.records_in for r in reports),
        "quarantined": sum(r.quarantined for r in reports),
    }


def child(args: argparse.Namespace) -> None:
    if args.phase == "generate":
        result = phase_generate(args.claims, args.out)
    else:
        result = phase_load(args.claims, args.out, args.database_url)
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def run_phase(phase: str, claims: int, out: str, url: str) -> dict[str, float]:
    command = [
        sys.executable,
        __file__,
        "--child",
        phase,
        "--claims",
        str(claims),
        "--out",
        out,
        "--database-url",
        url,
    ]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file per size")
    parser.add_argument("--child", dest="phase", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--claims", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child(args)
        return
    rows = []
    for claims in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{tmp}/bench.db"
            gen = run_phase("generate", claims, f"{tmp}/data", url)
            load = run_phase("load", claims, f"{tmp}/data", url)
        rows.append({"claims": claims, "generate": gen, "load": load})
        print(
            f"{claims:>9,} claims  generate {gen['seconds']:6.1f} s {claims / gen['seconds']:>9,.0f} claims/s {gen['peak_rss_mb']:6.0f} MB"
            f"  |  load {load['seconds']:6.1f} s {claims / load['seconds']:>8,.0f} claims/s {load['records'] / load['seconds']:>8,.0f} records/s {load['peak_rss_mb']:6.0f} MB",
            flush=True,
        )
    RESULTS.mkdir(exist_ok=True)
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
    (RESULTS / "intake.json").write_text(
        json.dumps({"machine": machine, "runs": rows}, indent=2) + "\n"
    )
    print(f"wrote {RESULTS / 'intake.json'}")


if __name__ == "__main__":
    main()
