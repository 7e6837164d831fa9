"""Prefect tasks that read the inbox: a task run per file, then the file filed away.

The daily-intake and remittance-audit flows both read files this way; claims files are
loaded, 835 files posted. Task arguments are a path and the document source, never
records, and results are counts (record content stays in the claim database).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from prefect.client.schemas.objects import State
from pydantic import BaseModel, Field

from tasks.inbox import FileOutcome, file_away, load_file, x12_files
from tasks.remit.post import post_file
from tasks.retry import exception_of, io_task, safe_error
from tasks.runtime import Runtime
from tasks.x12.readahead import DocumentSource, reading_ahead

FileJob = Literal["load", "post"]


class FileResult(BaseModel):
    """What loading one file did: counts only, no record content."""

    path: str
    intake_file_sha256: str
    records_in: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    reconciles: bool
    claims_by_payer: dict[str, int]

    def usable(self) -> bool:
        """False when every record was refused: the file goes to failed/."""
        return self.records_in == 0 or self.inserted + self.updated + self.unchanged > 0

    def counts(self) -> dict[str, int]:
        return self.model_dump(
            include={"records_in", "inserted", "updated", "unchanged", "quarantined"}
        )


class RemitResult(BaseModel):
    """What posting one 835 file did: counts only (claim ids stay in the database)."""

    path: str
    sets_in: int
    posted: int
    duplicates: int
    quarantined: int
    claims_matched: int
    claims_unmatched: int
    lines_matched: int
    lines_unmatched: int
    unbalanced: int
    reconciles: bool
    problems: list[str]

    def usable(self) -> bool:
        """False when every transaction set was refused: the file goes to failed/."""
        return self.posted + self.duplicates > 0 or self.sets_in == 0

    def counts(self) -> dict[str, int]:
        return {
            "sets": self.sets_in,
            "posted": self.posted,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "claims matched": self.claims_matched,
            "claims unmatched": self.claims_unmatched,
            "unbalanced": self.unbalanced,
        }


class FileRow(BaseModel):
    """One file a flow read: its counts, where it went and why."""

    file: str
    outcome: FileOutcome
    reason: str = ""
    counts: dict[str, int] = Field(default_factory=dict)

    def table_row(self) -> dict[str, object]:
        return {
            "file": self.file,
            **self.counts,
            "outcome": self.outcome.value,
            "reason": self.reason,
        }


UNUSABLE = {
    "load": "every record was quarantined (see claimguard quarantine)",
    "post": "every transaction set was quarantined (see claimguard quarantine)",
}


@io_task(name="load-intake-file", task_run_name="load {path}")
def load_intake_file(runtime: Runtime, path: str, documents: DocumentSource) -> FileResult:
    """Load one packet file; bad records are quarantined, not raised."""
    report = load_file(runtime.engine(), Path(path), documents=documents)
    return FileResult(
        path=path,
        intake_file_sha256=report.sha256,
        records_in=report.records_in,
        inserted=report.counts["insert"],
        updated=report.counts["update"],
        unchanged=report.counts["unchanged"],
        quarantined=report.quarantined,
        reconciles=report.reconciles,
        claims_by_payer=dict(report.claims_by_payer),
    )


@io_task(name="post-remittance-file", task_run_name="post {path}")
def post_remittance_file(runtime: Runtime, path: str, documents: DocumentSource) -> RemitResult:
    """Post one 835 file: payments once each, every CLP/SVC matched or queued with its reason."""
    report = post_file(runtime.engine(), Path(path), documents)
    return RemitResult(
        path=path,
        sets_in=report.sets_in,
        posted=report.posted,
        duplicates=report.duplicates,
        quarantined=report.quarantined,
        claims_matched=report.claims["matched"],
        claims_unmatched=report.claims["unmatched"],
        lines_matched=report.lines["matched"],
        lines_unmatched=report.lines["unmatched"],
        unbalanced=len(report.unbalanced),
        reconciles=report.reconciles,
        # Problems name trace numbers, set control numbers and payer ids only.
        problems=report.problems[:20],
    )


def read_files(
    runtime: Runtime, files: Sequence[Path], *, job: FileJob, workers: int
) -> list[FileRow]:
    """Load or post each file as its own task run, X12 read ahead by `workers` processes,
    and file each away in its folder's processed/ or failed/ as soon as it is read."""
    rows: list[FileRow] = []
    with reading_ahead(x12_files(files), workers, code_cache=runtime.code_cache) as documents:
        for path in files:
            rows.append(_read_one(runtime, path, job, documents))
            file_away(path, rows[-1].outcome, rows[-1].reason)
    return rows


def _read_one(runtime: Runtime, path: Path, job: FileJob, documents: DocumentSource) -> FileRow:
    state: State[FileResult] | State[RemitResult] = (
        load_intake_file(runtime, str(path), documents, return_state=True)
        if job == "load"
        else post_remittance_file(runtime, str(path), documents, return_state=True)
    )
    if state.is_failed():
        reason = safe_error(exception_of(state))
        return FileRow(file=path.name, outcome=FileOutcome.FAILED, reason=reason)
    result = state.result()
    usable = result.usable()
    return FileRow(
        file=path.name,
        outcome=FileOutcome.PROCESSED if usable else FileOutcome.FAILED,
        reason="" if usable else UNUSABLE[job],
        counts=result.counts(),
    )
