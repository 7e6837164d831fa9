"""835 parsing and matching throughput on one file of N claims, against pyx12 alone.

Phases, each in its own process (so peak memory is its own), on the same 835 file:
  pyx12      pyx12's X12ContextReader validating and walking every segment (nothing else)
  parse      ClaimGuard's read: pyx12's walk plus splitting into sets, collecting errors,
             and reading payments, claims, lines and adjustments into typed values
  post       parse plus matching every CLP and SVC against the claim database and writing
             the payments (SQLite, claims loaded beforehand and not timed)

    python benchmarks/remit_throughput.py [--claims 10000]
Results: benchmarks/results/remit.json and a table on standard output.
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


def prepare(claims: int, folder: Path) -> dict[str, object]:
    """Generate the claims, pay them in one 835 file, and load the claims (not timed)."""
    from tasks.db.session import open_database
    from tasks.inbox import load_paths
    from tasks.synthetic.generator import GeneratorConfig, generate
    from tasks.synthetic.x12gen import write_remittances

    generate(GeneratorConfig(seed=5, claims=claims), folder)
    (remit,) = write_remittances(folder, seed=5, duplicate_files=0, one_file=True, pay_held=True)
    engine = open_database(f"sqlite:///{folder / 'claims.db'}")
    load_paths(engine, [folder])
    size = remit.stat().st_size
    return {"file": str(remit), "bytes": size}


def phase_pyx12(path: Path) -> dict[str, float]:
    import io

    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12context

    text = path.read_text(encoding="latin-1")
    start = time.perf_counter()
    reader = pyx12.x12context.X12ContextReader(
        pyx12.params.params(), pyx12.error_handler.err_handler(), io.StringIO(text)
    )
    segments = sum(1 for _ in reader.iter_segments())
    return {"seconds": time.perf_counter() - start, "segments": segments}


def phase_parse(path: Path) -> dict[str, float]:
    from tasks.x12.reader import read
    from tasks.x12.remit835 import payment

    data = path.read_bytes()
    start = time.perf_counter()
    document = read(data)
    payments = [payment(tx) for tx in document.sets if tx.valid]
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "claims": sum(len(p.claims) for p in payments)}


def phase_post(path: Path) -> dict[str, float]:
    from tasks.db.session import open_database
    from tasks.remit.post import post_file

    engine = open_database(f"sqlite:///{path.parent / 'claims.db'}")
    start = time.perf_counter()
    report = post_file(engine, path)
    seconds = time.perf_counter() - start
    assert report.reconciles and report.quarantined == 0
    return {
        "seconds": seconds,
        "claims": report.claims["matched"] + report.claims["unmatched"],
        "matched": report.claims["matched"],
    }


PHASES = {"pyx12": phase_pyx12, "parse": phase_parse, "post": phase_post}


def child(phase: str, path: str) -> None:
    result = PHASES[phase](Path(path))
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def run_phase(phase: str, path: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", phase, "--file", path]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--child")
    parser.add_argument("--file")
    args = parser.parse_args()
    from tasks.settings import cache_folder, get_settings
    from tasks.startup import use_cached_code_tables

    use_cached_code_tables(cache_folder(get_settings()))  # as the CLI and every flow do
    if args.child:
        child(args.child, args.file)
        return
    with tempfile.TemporaryDirectory() as tmp:
        prepared = prepare(args.claims, Path(tmp))
        results = {phase: run_phase(phase, str(prepared["file"])) for phase in PHASES}
    claims = results["parse"]["claims"]
    summary = {
        "claims_in_file": claims,
        "file_bytes": prepared["bytes"],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "phases": results,
        "parse_vs_pyx12": results["parse"]["seconds"] / results["pyx12"]["seconds"],
        "post_vs_pyx12": results["post"]["seconds"] / results["pyx12"]["seconds"],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "remit.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"835 of {claims:,} claims ({prepared['bytes'] / 1e6:.1f} MB)")
    print(f"{'phase':8} {'seconds':>8} {'claims/s':>10} {'peak MB':>8} {'x pyx12':>8}")
    for phase, r in results.items():
        rate = claims / r["seconds"]
        ratio = r["seconds"] / results["pyx12"]["seconds"]
        print(f"{phase:8} {r['seconds']:8.2f} {rate:10,.0f} {r['peak_rss_mb']:8.0f} {ratio:8.2f}")


if __name__ == "__main__":
    main()
