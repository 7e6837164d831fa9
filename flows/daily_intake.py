"""The daily intake: load the inbox's new files, check what was loaded, file each file away."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

from flows.lifecycle import lifecycle
from flows.params import (
    DailyIntakeParams,
    LifecycleParams,
    RemittanceAuditParams,
    Selection,
    current_params,
)
from tasks import startup
from tasks.intake.loader import packet_files
from tasks.lifecycle import FileResult, load_intake_file
from tasks.retry import safe_error
from tasks.settings import worker_count
from tasks.x12.readahead import reading_ahead


def _run_name() -> str:
    params = current_params(DailyIntakeParams)
    day = params.day if params and params.day else dt.date.today()
    return f"daily-intake {day.isoformat()}"


@flow(name="daily-intake", flow_run_name=_run_name)
def daily_intake(params: DailyIntakeParams = DailyIntakeParams()) -> State:  # noqa: B008 - a form default
    """Load the inbox's new claim files (JSON, 837P), run steps 1-4, then post its 835s and audit them (step 5)."""
    startup.settle()
    logger = get_run_logger()
    inbox = Path(params.inbox)
    files = packet_files([inbox]) if inbox.is_dir() else []
    logger.info("%s file(s) in %s", len(files), inbox)
    rows: list[dict[str, object]] = []
    with reading_ahead(files, worker_count(params.workers)):
        for path in files:
            rows.append(_load(path))
            file_away(path, inbox, str(rows[-1]["outcome"]), str(rows[-1]["reason"]))
    life = lifecycle(
        LifecycleParams(
            selection=Selection(unchecked=True),
            chunk_size=params.chunk_size,
            workers=params.workers,
        ),
        return_state=True,
    )
    summary = (
        life.result(raise_on_failure=False) if life.is_completed() or life.is_failed() else None
    )
    remits = packet_files([inbox], remittances=True) if inbox.is_dir() else []
    audit = None
    if remits:
        # Remittances after claims: an 835 in the same inbox pays claims loaded above.
        from flows.remittance_audit import run_remittance_audit

        audit = run_remittance_audit(
            RemittanceAuditParams(
                folder=str(inbox), report_dir=params.report_dir, chunk_size=params.chunk_size
            ),
            files=remits,
        )
    create_table_artifact(
        rows or [{"file": "(none)", "outcome": "no new files"}],
        key="daily-intake-files",
        description="Files read, their counts and where they went",
    )
    create_markdown_artifact(
        _markdown(rows, summary), key="daily-intake-summary", description="Daily intake summary"
    )
    failed_files = sum(1 for r in rows if r["outcome"] == "failed")
    if audit is not None and audit.is_failed():
        return Failed(message=f"remittance audit failed: {audit.message}")
    if life.is_failed() or failed_files:
        return Failed(message=f"{failed_files} file(s) failed; lifecycle {life.type.value.lower()}")
    posted = f"; {len(remits)} remittance file(s) posted and audited" if remits else ""
    return Completed(message=f"{len(rows)} claim file(s) loaded and checked{posted}")


def _load(path: Path) -> dict[str, object]:
    """Load one file; its row for the table (a failed file keeps its reason)."""
    state = load_intake_file(str(path), return_state=True)
    if state.is_failed():
        reason = safe_error(state.result(raise_on_failure=False))  # type: ignore[arg-type]
        return _row(path.name, None, "failed", reason)
    result: FileResult = state.result()
    usable = result.records_in == 0 or result.inserted + result.updated + result.unchanged > 0
    reason = "" if usable else "every record was quarantined (see claimguard quarantine)"
    return _row(path.name, result, "processed" if usable else "failed", reason)


def _row(name: str, result: FileResult | None, outcome: str, reason: str) -> dict[str, object]:
    counts = (
        result.model_dump(include={"records_in", "inserted", "updated", "unchanged", "quarantined"})
        if result
        else {}
    )
    return {"file": name, **counts, "outcome": outcome, "reason": reason}


def file_away(path: Path, inbox: Path, outcome: str, reason: str) -> None:
    """Move a read file to processed/ or failed/ (with a .reason.txt) so it is read once."""
    target_dir = inbox / outcome
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        target = target_dir / f"{path.stem}.{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}{path.suffix}"
    shutil.move(str(path), target)
    if reason:
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n")


def _markdown(rows: list[dict[str, object]], summary: object) -> str:
    lines = ["# Daily intake", "", f"Files: **{len(rows)}**.", ""]
    if rows:
        lines += ["| file | records in | quarantined | outcome |", "| --- | ---: | ---: | --- |"]
        lines += [
            f"| {r['file']} | {r.get('records_in', '')} | {r.get('quarantined', '')} | {r['outcome']} |"
            for r in rows
        ]
    statuses = getattr(summary, "statuses", None)
    if statuses:
        lines += [
            "",
            "| step | passed | warning | held | error |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {step} | {c.get('passed', 0)} | {c.get('warning', 0)} | {c.get('held', 0)} | {c.get('error', 0)} |"
            for step, c in statuses.items()
        ]
    return "\n".join(lines)
