"""`make demo`: generate a day of sample claims, load them, and say what happened."""

from __future__ import annotations

import shutil

from flows import report
from rules.loader import default_rule_set
from rules.outcomes import PRE_SUBMISSION_STEPS
from tasks.checking import check_chunk, claims_of_files
from tasks.db.checkpoints import step_summary
from tasks.db.repository import table_counts
from tasks.db.session import open_database, session_scope
from tasks.intake.loader import load_paths
from tasks.settings import get_settings
from tasks.synthetic.generator import GeneratorConfig, generate

DEMO_MALFORMED = 10
CHUNK = 5000


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
    rule_set = default_rule_set()
    claim_ids = claims_of_files(engine)
    for start in range(0, len(claim_ids), CHUNK):
        check_chunk(engine, claim_ids[start : start + CHUNK], PRE_SUBMISSION_STEPS, rule_set)
    with session_scope(engine) as session:
        summaries = [step_summary(session, step, claim_ids) for step in PRE_SUBMISSION_STEPS]
        counts = table_counts(session)
    print(f"\nlifecycle steps 1-4 on {len(claim_ids):,} claims (rule set {rule_set.version[:12]})")
    report.print_steps(summaries, rule_set)
    print("\nclaim database now holds")
    print(report.table(("table", "rows"), sorted(counts.items())))
    return 0 if all(r.reconciles for r in reports) else 1
