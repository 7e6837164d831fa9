"""`make demo`: generate a quarter of sample claims and remittances, run the daily intake, report.

The intake runs as the real `daily-intake` flow in Prefect's local mode: the JSON packets
(master data, sessions, notes) and the 837P claim files are loaded, steps 1-4 run on what
was loaded, the 835 remittances are posted and audited (step 5), the revenue-leak report
is written, and the files move to processed/.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sqlalchemy import Engine

from flows import report
from rules.loader import RuleSet
from rules.outcomes import PRE_SUBMISSION_STEPS
from tasks.db.checkpoints import step_summary
from tasks.db.repository import claims_by_payer, quarantined, recent_intake_files, table_counts
from tasks.db.session import session_scope
from tasks.reports import build
from tasks.runtime import Runtime
from tasks.settings import Settings
from tasks.synthetic.generator import GeneratorConfig, generate
from tasks.synthetic.x12gen import write_claims, write_remittances

DEMO_MALFORMED = 10
# A quarter of service (13 weeks, Monday 2026-08-03 to Sunday 2026-11-01), so the report has
# months to compare, and one payer underpaying group psychotherapy month after month.
DEMO_START = dt.date(2026, 8, 3)
DEMO_DAYS = 91
DEMO_UNDERPAYER = ("summit_commercial", "90853")
# A quarterly fee-schedule release in CMS's layout, values illustrative (samples/reference).
SAMPLE_RVU = (
    Path(__file__).resolve().parents[1] / "samples" / "reference" / "PPRRVU26_OCT_SAMPLE.csv"
)
SAMPLE_EFFECTIVE = dt.date(2026, 10, 1)


def run_demo(settings: Settings, *, claims: int, seed: int) -> int:
    """Generate, run daily-intake, print what happened. Run twice: the second load changes nothing.

    The claim database and rules are the settings', as for every flow the demo runs.
    """
    inbox = settings.home / "inbox"
    shutil.rmtree(inbox, ignore_errors=True)
    config = GeneratorConfig(
        seed=seed, claims=claims, start=DEMO_START, days=DEMO_DAYS, malformed=DEMO_MALFORMED
    )
    manifest = generate(config, inbox)
    # The payers' side: the clean claims paid in 835s (with planted payment problems), then
    # the claims themselves moved from JSON into the 837P files a practice would send.
    remits = write_remittances(inbox, seed=seed, underpayer=DEMO_UNDERPAYER)
    claim_files = write_claims(inbox, seed=seed)
    shutil.rmtree(settings.home / "ground-truth", ignore_errors=True)
    shutil.move(str(inbox / "ground-truth"), str(settings.home / "ground-truth"))
    report.print_generated(manifest, inbox, truth=settings.home / "ground-truth")
    print(f"  plus {manifest.malformed} deliberately broken records, to show the quarantine")
    print(
        f"  claims sent as {len(claim_files)} 837P file(s); payments in {len(remits)} 835 file(s) (one resent)\n"
    )
    runtime = Runtime.from_settings(settings)
    engine = runtime.engine()
    print(
        f"claim database: {runtime.database_shown()}; running the daily-intake flow (Prefect local mode)\n"
    )

    from flows.daily_intake import daily_intake
    from flows.params import ArrivalTuning, DailyIntakeParams

    reports = settings.home / "reports"
    state = daily_intake(
        # The demo wrote every file itself, just now: nothing is still being written.
        DailyIntakeParams(
            inbox=str(inbox),
            report_dir=str(reports),
            advanced=ArrivalTuning(quiet_seconds=0),
        ),
        return_state=True,
    )
    print(f"\ndaily-intake: {state.type.value.lower()} ({state.message})\n")
    rule_set = runtime.rule_set()
    _print_results(engine, rule_set, len(manifest.files) + len(claim_files) + len(remits))
    found = build.write(engine, rule_set, reports)
    print("\npost-payment audit (step 5) of the 835s")
    print(found.text())
    print(f"\nrevenue-leak report: {found.files['html']}")
    print(f"work queues (CSV): {found.files['appeals']}, {found.files['held']}")
    _import_sample_table(settings, engine)
    return 0 if state.is_completed() else 1


def _import_sample_table(settings: Settings, engine: Engine) -> None:
    """A fee-schedule release imported into a copy of the rules: its difference from the
    tables, and the re-audit it proposes on the quarter just loaded (a dry run)."""
    from flows.tables_import import ImportRequest, run_import
    from rules.loader import RULES_ROOT
    from tasks.reference.layouts import TableKind

    folder = settings.home / "rules"
    shutil.rmtree(folder, ignore_errors=True)
    for part in ("payers", "tables"):
        shutil.copytree((settings.rules_dir or RULES_ROOT) / part, folder / part)
    print(
        f"\nimporting a fee-schedule release (a sample in CMS's PPRRVU layout) into a copy of the rules:\n"
        f"  claimguard tables import pprrvu {SAMPLE_RVU.name} --effective {SAMPLE_EFFECTIVE} "
        f"--illustrative --rules {folder}"
    )
    request = ImportRequest(
        kind=TableKind.PPRRVU, file=SAMPLE_RVU, effective=SAMPLE_EFFECTIVE, folder=folder,
        dry_run=False, illustrative=True,
    )  # fmt: skip
    run_import(request, engine)


def _print_results(engine: Engine, rule_set: RuleSet, files: int) -> None:
    with session_scope(engine) as session:
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
