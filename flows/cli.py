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
rules_app = App(name="rules", help="The payer rule files and code tables.")
app.command(db_app)
app.command(rules_app)
RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


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


@rules_app.command(name="validate")
def rules_validate(root: Path = RULES_DIR, /) -> int:
    """Load every rule file and table; print every problem found, or the rule-set version."""
    from rules.errors import RuleFileError
    from rules.loader import load_rule_set

    try:
        rule_set = load_rule_set(root)
    except RuleFileError as error:
        print(error, file=sys.stderr)
        return 1
    print(
        f"{len(rule_set.all_rules())} rules for {len(rule_set.payers)} payers and the defaults; version {rule_set.version[:16]}"
    )
    return 0


@rules_app.command(name="catalog")
def rules_catalog(*, out: Path = RULES_DIR / "CATALOG.md") -> int:
    """Rewrite the markdown catalog of every rule (checked in; a test keeps it current)."""
    from rules.catalog import render_catalog
    from rules.loader import load_rule_set

    out.write_text(render_catalog(load_rule_set(RULES_DIR)))
    print(f"wrote {out}")
    return 0


@rules_app.command(name="schema")
def rules_schema(*, out: Path = RULES_DIR / "rule-file.schema.json") -> int:
    """Rewrite the JSON Schema of a rule file, for editors."""
    import json

    from rules.schema import rule_file_json_schema

    out.write_text(json.dumps(rule_file_json_schema(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {out}")
    return 0


@app.command
def score(*, claims: int = 10_000, seed: int = 7, days: int = 28) -> int:
    """Score steps 1-4 against the generator's ground truth: precision and recall per defect."""
    from flows.scoring import run_scoring

    return run_scoring(claims=claims, seed=seed, days=days)


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
