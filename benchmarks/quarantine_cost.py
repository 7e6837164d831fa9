"""What a refused record costs against a loaded one: the same number of patient records,
all good in one file, all refused (by validation, and as broken JSON) in two others, each
loaded into a fresh SQLite database.

    python benchmarks/quarantine_cost.py [--records 1000000]

The goal (issue #26): a refused record costs at most three times a loaded one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KINDS = ("loaded", "refused by validation", "refused as broken JSON")


def write(path: Path, records: int, kind: str) -> None:
    with path.open("w") as handle:
        for n in range(records):
            if kind == "refused as broken JSON":
                handle.write(json.dumps({"type": "patient", "patient_id": f"PT-{n}"})[:-1] + "\n")
                continue
            record = {
                "type": "patient",
                "patient_id": f"PT-{n}",
                "first_name": "Quentin",
                "last_name": "Haverford",
                "birth_date": "1980-04-05",
                "sex": "Q" if kind == "refused by validation" else "F",
            }
            handle.write(json.dumps(record) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    from tasks.db.session import open_database
    from tasks.inbox import load_file

    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        for number, kind in enumerate(KINDS):
            folder = Path(tmp) / str(number)
            folder.mkdir()
            path = folder / "records.jsonl"
            write(path, args.records, kind)
            engine = open_database(f"sqlite:///{folder / 'claims.db'}")
            start = time.perf_counter()
            report = load_file(engine, path)
            seconds[kind] = time.perf_counter() - start
            assert report.reconciles and report.records_in == args.records
            engine.dispose()
    base = seconds["loaded"]
    for kind in KINDS:
        print(
            f"{args.records:,} records {kind}: {seconds[kind]:.1f} s, "
            f"{seconds[kind] / base:.2f} x a loaded record"
        )


if __name__ == "__main__":
    main()
