"""`make demo`: generate a day of sample claims, run the daily intake through Prefect, report.

The intake runs as the real `daily-intake` flow in Prefect's local mode: the packet files
are loaded, steps 1-4 run on what was loaded, and the files move to processed/.
"""

from __future__ import annotations

import os
import shutil

from flows import report
from rules.outcomes import PRE_SUBMISSION_STEPS
from tasks.db.checkpoints import step_summary
from tasks.db.repository import claims_by_payer, quarantined, recent_intake_files, table_counts
from tasks.db.session import open_database, session_scope
from tasks.rule_source import current_rule_set
from tasks.settings import get_settings
from tasks.synthetic.generator import GeneratorConfig, generate

DEMO_MALFORMED = 10


def run_demo(*, database_url: str | None, claims: int, seed: int) -> int:
    """Generate, run daily-intake, print what happened. Run twice: the second load changes nothing."""
    settings = get_settings()
    if database_url:
        os.environ["CLAIMGUARD_DATABASE_URL"] = database_url  # the flow's tasks read it
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    inbox = settings.home / "inbox"
    shutil.rmtree(inbox, ignore_errors=True)
    manifest = generate(GeneratorConfig(seed=seed, claims=claims, malformed=DEMO_MALFORMED), inbox)
    shutil.move(str(inbox / "ground-truth"), str(settings.home / "ground-truth"))
    report.print_generated(manifest, inbox)
    print(f"  plus {manifest.malformed} deliberately broken records, to show the quarantine\n")
    engine = open_database(database_url)
    print(
        f"claim database: {engine.url.render_as_string(hide_password=True)}; running the daily-intake flow (Prefect local mode)\n"
    )

    from flows.daily_intake import daily_intake
    from flows.params import DailyIntakeParams

    state = daily_intake(DailyIntakeParams(inbox=str(inbox)), return_state=True)
    print(f"\ndaily-intake: {state.type.value.lower()} ({state.message})\n")
    _print_results(engine, len(manifest.files))
    return 0 if state.is_completed() else 1


def _print_results(engine: object, files: int) -> None:
    rule_set = current_rule_set()
    with session_scope(engine) as session:  # type: ignore[arg-type]
        report.print_intake_files(recent_intake_files(session, files))
        print("\nclaims by payer")
        print(report.table(("payer", "claims"), sorted(claims_by_payer(session).items())))
        report.print_quarantine(quarantined(session, limit=10))
        summaries = [step_summary(session, step) for step in PRE_SUBMISSION_STEPS]
        counts = table_counts(session)
    print(f"\nlifecycle steps 1-4 (rule set {rule_set.version[:12]})")
    report.print_steps(summaries, rule_set)
    print("\nclaim database now holds")
    print(report.table(("table", "rows"), sorted(counts.items())))
