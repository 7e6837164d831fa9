"""The `claimguard` command: the same jobs as the flows, for people without the Prefect UI.

Output names records by file, line and record id only; patient data never reaches the terminal.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

from cyclopts import App, Parameter

from flows import report

app = App(name="claimguard", help="Stop revenue leaks in group psychotherapy billing.")
db_app = App(name="db", help="The claim database.")
app.command(db_app)


def main() -> None:
    """Console entry point."""
    sys.exit(app() or 0)


@db_app.command
def upgrade(*, database_url: str | None = None) -> int:
    """Create the claim database or bring it to the newest schema."""
    from tasks.db.migrate import current_revision
    from tasks.db.session import open_database

    engine = open_database(database_url)
    print(f"claim database at revision {current_revision(engine)}: {engine.url.render_as_string()}")
    return 0


@app.command
def generate(
    *,
    seed: int = 2026,
    claims: int = 500,
    out: Path = Path("demo-out"),
    start: dt.date | None = None,
    days: int = 1,
    defect_rate: float | None = None,
    rate: Annotated[list[str] | None, Parameter(consume_multiple=True)] = None,
) -> int:
    """Write synthetic claim packets with planted defects and their ground truth.

    Parameters
    ----------
    seed: the same seed gives the same files, byte for byte.
    claims: how many claims to make.
    out: the folder to write into.
    start: the first date of service (default 2026-11-02).
    days: how many days of service to spread the claims over.
    defect_rate: the rate of every claim-level defect (session-level defects get twice it).
    rate: per-defect rates, e.g. --rate auth_missing=0.05 cloned_note=0.1.
    """
    from tasks.synthetic.defects import parse_rates
    from tasks.synthetic.generator import DEFAULT_START, GeneratorConfig
    from tasks.synthetic.generator import generate as run_generator

    rates = parse_rates(rate or [], default_scale=defect_rate)
    config = GeneratorConfig(
        seed=seed, claims=claims, start=start or DEFAULT_START, days=days, rates=rates
    )
    manifest = run_generator(config, out)
    report.print_generated(manifest, out)
    return 0


@app.command
def load(paths: list[Path], /, *, database_url: str | None = None, strict: bool = False) -> int:
    """Load claim packet files (or folders of them); refused records are quarantined.

    Parameters
    ----------
    paths: files or folders (a folder's .jsonl, .ndjson and .json files, by name).
    strict: exit with status 1 when any record was quarantined.
    """
    from tasks.db.session import open_database
    from tasks.intake.loader import load_paths

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    reports = load_paths(open_database(database_url), paths)
    report.print_load(reports)
    quarantined = sum(r.quarantined for r in reports)
    return 1 if strict and quarantined else 0


@app.command
def quarantine(*, limit: int = 20, database_url: str | None = None) -> int:
    """List the most recently quarantined records and every reason each was refused."""
    from tasks.db.repository import quarantined
    from tasks.db.session import open_database, session_scope

    with session_scope(open_database(database_url)) as session:
        report.print_quarantine(quarantined(session, limit=limit))
    return 0


@app.command
def schema(*, out: Path = Path("docs/claim-packet.schema.json")) -> int:
    """Write the JSON Schema of the claim packet record (checked in; a test keeps it current)."""
    import json

    from rules.records import packet_json_schema

    out.write_text(json.dumps(packet_json_schema(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {out}")
    return 0


@app.command
def demo(*, database_url: str | None = None, claims: int = 600, seed: int = 2026) -> int:
    """Run the main job on a generated day of sample data and print what happened."""
    from flows.demo import run_demo

    return run_demo(database_url=database_url, claims=claims, seed=seed)
