"""`make demo`: generate a day of sample claims, load them, and say what happened."""

from __future__ import annotations

import shutil

from flows import report
from tasks.db.repository import table_counts
from tasks.db.session import open_database, session_scope
from tasks.intake.loader import load_paths
from tasks.settings import get_settings
from tasks.synthetic.generator import GeneratorConfig, generate

DEMO_MALFORMED = 10


def run_demo(*, database_url: str | None, claims: int, seed: int) -> int:
    """Generate, load, report. Running it twice shows that loading is idempotent."""
    settings = get_settings()
    inbox = settings.home / "demo" / "inbox"
    shutil.rmtree(inbox, ignore_errors=True)
    manifest = generate(GeneratorConfig(seed=seed, claims=claims, malformed=DEMO_MALFORMED), inbox)
    report.print_generated(manifest, inbox)
    print(f"  plus {manifest.malformed} deliberately broken records, to show the quarantine\n")
    engine = open_database(database_url)
    print(f"claim database: {engine.url.render_as_string(hide_password=True)}\n")
    reports = load_paths(engine, [inbox])
    report.print_load(reports)
    with session_scope(engine) as session:
        counts = table_counts(session)
    print("\nclaim database now holds")
    print(report.table(("table", "rows"), sorted(counts.items())))
    return 0 if all(r.reconciles for r in reports) else 1
