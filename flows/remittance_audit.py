"""The remittance audit: post a folder of 835s, audit each line they pay (step 5), report leaks."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

from flows import artifacts
from flows.lifecycle import lifecycle
from flows.params import (
    LifecycleParams,
    RemittanceAuditParams,
    Selection,
    Tuning,
    current_params,
)
from rules.outcomes import Step
from tasks import startup
from tasks.arrivals import Arrival, NotReady, Survey, survey
from tasks.inbox import FileOutcome
from tasks.inbox_tasks import FileRow, InboxGuard, holding_inbox, read_files, set_aside
from tasks.reports import build
from tasks.retry import io_task
from tasks.runtime import Runtime
from tasks.settings import Settings, get_settings

TABLE_LIMIT = 500
# What a person acts on first (the claim, whom to ask, how much, by when), then the detail:
# the UI cuts a wide table off on the right.
PROBLEM_COLUMNS = (
    "claim_id", "payer_id", "at_stake", "appeal_by", "outcome", "category", "codes", "line",
    "code", "expected_allowed", "allowed", "paid",
)  # fmt: skip
MONEY_COLUMNS = frozenset({"at_stake", "expected_allowed", "allowed", "paid"})


def problem_rows(appeals: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The appeals queue's rows as the table artifact shows them: columns in the order a
    person acts on them, money as money."""
    return [
        {c: _money(row[c]) if c in MONEY_COLUMNS else str(row[c]) for c in PROBLEM_COLUMNS}
        for row in appeals
    ]


def _money(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return f"${Decimal(str(value)):,.2f}"
    except InvalidOperation:
        return str(value)


def _run_name() -> str:
    params = current_params(RemittanceAuditParams) or RemittanceAuditParams()
    return f"remittance-audit {Path(params.folder).name} {dt.date.today().isoformat()}"


@io_task(name="build-leak-report")
def build_leak_report(runtime: Runtime, report_dir: str, alarm_months: int) -> build.LeakReport:
    """Sum what step 5 found and write the HTML report and CSV work queues."""
    return build.write(
        runtime.engine(), runtime.rule_set(), Path(report_dir), alarm_months=alarm_months
    )


@io_task(name="check-report")
def stale_report(runtime: Runtime, report_dir: str) -> str | None:
    """Why the report should be written again; None when it is current."""
    return build.stale(runtime.engine(), Path(report_dir))


@flow(name="remittance-audit", flow_run_name=_run_name)
def remittance_audit(params: RemittanceAuditParams = RemittanceAuditParams()) -> State:  # noqa: B008 - a form default
    """Post every 835 in the folder, audit every matched line (step 5), publish the leaks."""
    runtime = Runtime.from_settings(get_settings())
    startup.settle(runtime.code_cache)
    return holding_inbox(
        runtime, Path(params.folder), lambda guard: run_remittance_audit(params, runtime, guard)
    )


def run_remittance_audit(
    params: RemittanceAuditParams,
    runtime: Runtime,
    guard: InboxGuard,
    files: list[Arrival] | None = None,
) -> State:
    """Post `files` (the folder's finished 835s when not given), audit, report."""
    logger = get_run_logger()
    rows: list[FileRow] = []
    if files is None:
        rows, files = _survey(params, runtime, guard)
    logger.info("%s remittance file(s)", len(files))
    workers = runtime.worker_count()
    rows += read_files(runtime, files, job="post", workers=workers, guard=guard)
    audit = lifecycle(
        LifecycleParams(
            selection=Selection(remitted=True),
            steps=[Step.POST_PAYMENT_AUDIT],
            force=True,
            advanced=Tuning(chunk_size=params.chunk_size),
        ),
        return_state=True,
    )
    report = build_leak_report(runtime, params.report_dir, params.alarm_months)
    _publish(rows, report, params.alarm_months, served=served_reports(get_settings()))
    failed = sum(1 for row in rows if row.outcome is FileOutcome.FAILED)
    if failed or audit.is_failed():
        unposted = f"; {build.not_posted(report.unposted)}" if report.unposted else ""
        return Failed(
            message=f"{failed} file(s) failed; audit {audit.type.value.lower()}{unposted}"
        )
    return Completed(message=report.text().splitlines()[0])


def _survey(
    params: RemittanceAuditParams, runtime: Runtime, guard: InboxGuard
) -> tuple[list[FileRow], list[Arrival]]:
    """The folder's finished 835s; its other files refused or left, each with its reason."""
    folder = Path(params.folder)
    quiet = runtime.inbox_quiet_seconds if params.quiet_seconds is None else params.quiet_seconds
    found = survey(folder, quiet_seconds=quiet) if folder.is_dir() else Survey()
    rows = set_aside(found.refused, FileOutcome.FAILED, guard=guard)
    rows += set_aside(found.waiting, FileOutcome.WAITING, guard=guard)
    claims_left = [
        NotReady(a.path, "a claims file, not a remittance: the daily intake reads it")
        for a in found.claims
    ]
    rows += set_aside(claims_left, FileOutcome.WAITING, guard=guard)
    return rows, found.remittances


def this_run(rows: list[FileRow]) -> str:
    """What this run did, apart from the cumulative figures: files, payments posted, sent
    again, not posted."""
    total: dict[str, int] = {}
    for row in rows:
        for key, value in row.counts.items():
            total[key] = total.get(key, 0) + value
    if not total:
        return "This run: no new 835 files."
    return (
        f"This run: {len(rows):,} file(s); {total.get('posted', 0):,} payment(s) posted, "
        f"{total.get('duplicates', 0):,} sent again, {total.get('quarantined', 0):,} not posted; "
        f"{total.get('claims matched', 0):,} claim(s) matched, "
        f"{total.get('claims unmatched', 0):,} unmatched."
    )


def served_reports(settings: Settings) -> Callable[[Mapping[str, Path]], dict[str, str]]:
    """Each report file's address where `make serve` publishes the report folder."""
    return functools.partial(
        artifacts.report_addresses, served=settings.home / "reports", base_url=settings.report_url
    )


def _publish(
    rows: list[FileRow],
    report: build.LeakReport,
    alarm_months: int,
    served: Callable[[Mapping[str, Path]], dict[str, str]],
) -> None:
    addresses = served(report.files)
    artifacts.publish_report_link(addresses)
    alarms = report.ledger.persistent_underpayers(months=alarm_months)
    markdown = ["# Remittance audit", "", this_run(rows), "", "## On file, all runs", ""]
    markdown += ["```", report.text(), "```", ""]
    if alarms:
        markdown += ["## Persistent underpayers", ""] + [f"- {a.message()}" for a in alarms]
    markdown += ["", "## Report", "", *artifacts.report_lines(report.files, addresses)]
    create_markdown_artifact(
        "\n".join(markdown), key="remittance-audit-summary", description="Remittance audit summary"
    )
    create_table_artifact(
        [row.table_row() for row in rows] or [{"file": "(none)"}],
        key="remittance-files",
        description="835 files posted",
    )
    # The appeals queue's first rows, most at stake first; the whole queue is in its CSV.
    problems = problem_rows(report.appeals.first[:TABLE_LIMIT])
    if problems:
        create_table_artifact(
            problems,
            key="underpaid-and-denied-lines",
            description=f"Underpaid and denied lines, most at stake first, {len(problems):,} of {report.appeals.total:,} (claim ids only)",
        )
