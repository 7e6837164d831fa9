"""Intake throughput of the largest 837P and 835 in the corpus (tests/corpus/x12 and the
shared public samples): each file loaded (837P) or posted (835) into a fresh SQLite
database, `--repeat` times; the median time, and claims a second.

    python benchmarks/x12_corpus_throughput.py [--repeat 7] [--files A.837 B.835]

Issue #27's goal: reading real-world X12 at the smallest unit costs at most 10 % of the
throughput before it. Run with PYTHONPATH pointing at an older checkout to measure it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

CORPUS = ROOT / "tests" / "corpus" / "x12"


def largest(suffix: str) -> Path:
    return max(CORPUS.glob(f"*{suffix}"), key=lambda p: p.stat().st_size)


def once(path: Path, folder: Path) -> tuple[float, int]:
    from tasks.db.session import open_database
    from tasks.inbox import load_file
    from tasks.remit.post import post_file

    engine = open_database(f"sqlite:///{folder / 'claims.db'}")
    data = path.read_bytes()
    claims = data.count(b"CLM*") if path.suffix == ".837" else data.count(b"CLP*")
    start = time.perf_counter()
    if path.suffix == ".837":
        load_file(engine, path)
    else:
        post_file(engine, path)
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds, claims


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--files", nargs="*", type=Path)
    args = parser.parse_args()
    files = args.files or [largest(".837"), largest(".835")]
    print(f"{'file':45} {'bytes':>8} {'claims':>7} {'median s':>9} {'claims/s':>9}")
    for path in files:
        times = []
        claims = 0
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as folder:
                seconds, claims = once(path, Path(folder))
                times.append(seconds)
        median = statistics.median(times)
        print(
            f"{path.name:45} {path.stat().st_size:>8,} {claims:>7,} {median:>9.3f} "
            f"{claims / median:>9,.0f}"
        )


if __name__ == "__main__":
    main()
