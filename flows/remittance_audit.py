"""The remittance audit: post a folder of 835s, audit each line they pay (step 5), report leaks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

from flows.daily_intake import file_away
from flows.lifecycle import lifecycle
from flows.params import LifecycleParams, RemittanceAuditParams, Selection, current_params
from rules.outcomes import Step
from tasks import startup
from tasks.db.session import shared_engine
from tasks.intake.loader import packet_files
from tasks.lifecycle import RemitResult, post_remittance_file
from tasks.reports import build
from tasks.retry import safe_error
from tasks.rule_source import current_rule_set
from tasks.settings import worker_count
from tasks.x12.readahead import reading_ahead

TABLE_LIMIT = 500
PROBLEM_COLUMNS = (
    "claim_id", "line", "payer_id", "code", "outcome", "expected_allowed", "allowed", "paid",
    "at_stake", "category", "codes",
)  # fmt: skip


def _run_name() -> str:
    params = current_params(RemittanceAuditParams) or RemittanceAuditParams()
    return f"remittance-audit {Path(params.folder).name} {dt.date.today().isoformat()}"


@task(name="build-leak-report", cache_policy=NO_CACHE, persist_result=False)
def build_leak_report(report_dir: str, alarm_months: int) -> build.LeakReport:
    """Sum what step 5 found and write the HTML report and CSV work queues."""
    return build.write(
        shared_engine(), current_rule_set(), Path(report_dir), alarm_months=alarm_months
    )


@flow(name="remittance-audit", flow_run_name=_run_name)
def remittance_audit(params: RemittanceAuditParams = RemittanceAuditParams()) -> State:  # noqa: B008 - a form default
    """Post every 835 in the folder, audit every matched line (step 5), publish the leaks."""
    return run_remittance_audit(params)


def run_remittance_audit(params: RemittanceAuditParams, files: list[Path] | None = None) -> State:
    startup.settle()
    logger = get_run_logger()
    folder = Path(params.folder)
    if files is None:
        files = packet_files([folder], remittances=True) if folder.is_dir() else []
    logger.info("%s remittance file(s)", len(files))
    rows: list[dict[str, object]] = []
    with reading_ahead(files, worker_count()):
        for path in files:
            rows.append(_post(path))
            file_away(path, path.parent, str(rows[-1]["outcome"]), str(rows[-1]["reason"]))
    audit = lifecycle(
        LifecycleParams(
            selection=Selection(remitted=True),
            steps=[Step.POST_PAYMENT_AUDIT],
            force=True,
            chunk_size=params.chunk_size,
        ),
        return_state=True,
    )
    report = build_leak_report(params.report_dir, params.alarm_months)
    _publish(rows, report, params.alarm_months)
    failed = sum(1 for r in rows if r["outcome"] == "failed")
    if failed or audit.is_failed():
        return Failed(message=f"{failed} file(s) failed; audit {audit.type.value.lower()}")
    return Completed(message=report.text().splitlines()[0])


def _post(path: Path) -> dict[str, object]:
    """Post one file; its row for the table (a failed file keeps its reason)."""
    state = post_remittance_file(str(path), return_state=True)
    if state.is_failed():
        reason = safe_error(state.result(raise_on_failure=False))  # type: ignore[arg-type]
        return {"file": path.name, "outcome": "failed", "reason": reason}
    result: RemitResult = state.result()
    usable = result.posted + result.duplicates > 0 or result.sets_in == 0
    reason = "" if usable else "every transaction set was quarantined (see claimguard quarantine)"
    return _row(path.name, result, "processed" if usable else "failed", reason)


def _row(name: str, result: RemitResult, outcome: str, reason: str) -> dict[str, object]:
    return {
        "file": name,
        "sets": result.sets_in,
        "posted": result.posted,
        "duplicates": result.duplicates,
        "quarantined": result.quarantined,
        "claims matched": result.claims_matched,
        "claims unmatched": result.claims_unmatched,
        "unbalanced": result.unbalanced,
        "outcome": outcome,
        "reason": reason,
    }


def _publish(rows: list[dict[str, object]], report: build.LeakReport, alarm_months: int) -> None:
    alarms = report.ledger.persistent_underpayers(months=alarm_months)
    markdown = ["# Remittance audit", "", "```", report.text(), "```", ""]
    if alarms:
        markdown += ["## Persistent underpayers", ""] + [f"- {a.message()}" for a in alarms]
    markdown += ["", f"Report: `{report.files.get('html', '')}`"]
    create_markdown_artifact(
        "\n".join(markdown), key="remittance-audit-summary", description="Remittance audit summary"
    )
    create_table_artifact(
        rows or [{"file": "(none)"}], key="remittance-files", description="835 files posted"
    )
    # The appeals queue's first rows, most at stake first; the whole queue is in its CSV.
    problems = [{c: row[c] for c in PROBLEM_COLUMNS} for row in report.appeals.first[:TABLE_LIMIT]]
    if problems:
        create_table_artifact(
            problems,
            key="underpaid-and-denied-lines",
            description=f"Underpaid and denied lines, most at stake first, {len(problems):,} of {report.appeals.total:,} (claim ids only)",
        )
