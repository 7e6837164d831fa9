"""Prefect tasks that read the inbox: a task run per file, then the file filed away.

The daily-intake and remittance-audit flows both read files this way; claims files are
loaded, 835 files posted. Task arguments are a path, its stamp when taken and the document
source, never records, and results are counts (record content stays in the claim
database). A file that changed while it was read stays in the inbox, its read voided.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from prefect.client.schemas.objects import State
from prefect.states import Completed
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from tasks.arrivals import Arrival, FileStamp, NotReady, changed_since
from tasks.db import inbox_lease
from tasks.db.identity import DatabaseIdentity, identify, verify
from tasks.inbox import FileOutcome, file_away, load_file, x12_files
from tasks.intake.loader import abandon_file, refuse_file
from tasks.intake.reasons import Reason, RecordRef
from tasks.remit.post import post_file
from tasks.retry import exception_of, io_task, safe_error
from tasks.runtime import Runtime
from tasks.x12.readahead import DocumentSource, reading_ahead

FileJob = Literal["load", "post"]


class FileResult(BaseModel):
    """What loading one file did: counts only, no record content."""

    path: str
    intake_file_id: int
    intake_file_sha256: str
    changed: str | None = None  # why the read is void: the file changed while it was read
    records_in: int
    inserted: int
    updated: int
    unchanged: int
    quarantined: int
    reconciles: bool
    claims_by_payer: dict[str, int]
    claims_loaded: int = 0
    claims_refused: int = 0
    notes: list[str] = Field(default_factory=list)  # no values from the file
    refusals: list[str] = Field(default_factory=list)  # the first records refused, and why

    def usable(self) -> bool:
        """False when every record was refused: the file goes to failed/."""
        return self.records_in == 0 or self.inserted + self.updated + self.unchanged > 0

    def said(self) -> str:
        """What a person reads first about this file: its notes, else its first refusal."""
        return "; ".join(self.notes[:3]) if self.notes else ""

    def first_refusal(self) -> str:
        return self.refusals[0] if self.refusals else ""

    def counts(self) -> dict[str, int]:
        return self.model_dump(
            include={
                "records_in",
                "inserted",
                "updated",
                "unchanged",
                "quarantined",
                "claims_loaded",
                "claims_refused",
            }
        )


class RemitResult(BaseModel):
    """What posting one 835 file did: counts only (claim ids stay in the database)."""

    path: str
    intake_file_id: int
    changed: str | None = None  # why the read is void: the file changed while it was read
    sets_in: int
    posted: int
    duplicates: int
    quarantined: int
    claims_matched: int
    claims_unmatched: int
    claims_refused: int = 0  # CLPs in payments not posted
    lines_matched: int
    lines_unmatched: int
    unbalanced: int
    reconciles: bool
    problems: list[str]

    def usable(self) -> bool:
        """False when every transaction set was refused: the file goes to failed/."""
        return self.posted + self.duplicates > 0 or self.sets_in == 0

    def said(self) -> str:
        return "; ".join(p for p in self.problems[:3] if "not posted" in p or "warning" in p)

    def first_refusal(self) -> str:
        return next((p for p in self.problems if "not posted" in p), "")

    def counts(self) -> dict[str, int]:
        return {
            "sets": self.sets_in,
            "posted": self.posted,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "claims matched": self.claims_matched,
            "claims unmatched": self.claims_unmatched,
            "claims not posted": self.claims_refused,
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
    "load": "every record was quarantined (claimguard quarantine lists them)",
    "post": "no payment was posted (claimguard quarantine lists them)",
}


# Task runs are named by the file's place in the run, never by its name: a file name may
# be a patient's (an export named for whom it is about). The claim database has the names.
@io_task(name="load-intake-file", task_run_name="load {label}")
def load_intake_file(
    runtime: Runtime, path: str, taken: FileStamp, documents: DocumentSource, label: str
) -> FileResult:
    """Load one packet file; bad records are quarantined, not raised."""
    engine = runtime.engine()
    report = load_file(engine, Path(path), documents=documents)
    return FileResult(
        path=path,
        intake_file_id=report.file_id,
        changed=_void_if_changed(engine, Path(path), taken, report.file_id),
        intake_file_sha256=report.sha256,
        records_in=report.records_in,
        inserted=report.counts["insert"],
        updated=report.counts["update"],
        unchanged=report.counts["unchanged"],
        quarantined=report.quarantined,
        reconciles=report.reconciles,
        claims_by_payer=dict(report.claims_by_payer),
        claims_loaded=report.claims["loaded"],
        claims_refused=report.claims["refused"],
        notes=report.notes[:20],
        refusals=[_refusal(ref, reasons) for ref, reasons in report.problems[:5]],
    )


def _refusal(ref: RecordRef, reasons: tuple[Reason, ...]) -> str:
    """A refused record by its place and id (never its file's name), and its first reason."""
    what = " ".join(p for p in (ref.record_type, ref.record_key) if p)
    return f"{ref.locator}{f' ({what})' if what else ''}: {reasons[0] if reasons else 'refused'}"


@io_task(name="post-remittance-file", task_run_name="post {label}")
def post_remittance_file(
    runtime: Runtime, path: str, taken: FileStamp, documents: DocumentSource, label: str
) -> RemitResult:
    """Post one 835 file: payments once each, every CLP/SVC matched or queued with its reason."""
    engine = runtime.engine()
    report = post_file(engine, Path(path), documents)
    return RemitResult(
        path=path,
        intake_file_id=report.file_id,
        changed=_void_if_changed(engine, Path(path), taken, report.file_id),
        sets_in=report.sets_in,
        posted=report.posted,
        duplicates=report.duplicates,
        quarantined=report.quarantined,
        claims_matched=report.claims["matched"],
        claims_unmatched=report.claims["unmatched"],
        claims_refused=report.claims["refused"],
        lines_matched=report.lines["matched"],
        lines_unmatched=report.lines["unmatched"],
        unbalanced=len(report.unbalanced),
        reconciles=report.reconciles,
        # Problems name trace numbers, set control numbers and payer ids only.
        problems=report.problems[:20],
    )


@io_task(name="check-claim-database")
def check_database(runtime: Runtime) -> DatabaseIdentity:
    """The claim database's identity (it is there, migrated, and which one it is)."""
    return identify(runtime.engine())


@io_task(name="record-refused-file")
def record_refused_file(runtime: Runtime, path: str, reason: str) -> int:
    """Keep a refused file's name and reason in the claim database; its id names it elsewhere."""
    return refuse_file(runtime.engine(), Path(path), reason)


@io_task(name="take-inbox")
def take_inbox(runtime: Runtime, inbox: str, holder: str) -> str | None:
    """Take the inbox for this run; who holds it instead, if another run does."""
    held = inbox_lease.take(runtime.engine(), Path(inbox), holder)
    return held.describe() if held else None


@io_task(name="give-back-inbox")
def give_back_inbox(runtime: Runtime, inbox: str, holder: str) -> None:
    inbox_lease.give_back(runtime.engine(), Path(inbox), holder)


@dataclass
class InboxGuard:
    """What a run holds while it moves inputs: the inbox's lease, and the claim database it
    loads into. Checked before every file is moved out of the inbox."""

    runtime: Runtime
    inbox: Path
    holder: str
    database: DatabaseIdentity
    renewed: float = field(default_factory=time.monotonic)

    def before_filing(self) -> None:
        """DatabaseChanged when the database is not the run's any more (the file then stays);
        the lease renewed when a quarter of it has passed."""
        verify(self.runtime.engine(), self.database)
        if time.monotonic() - self.renewed > inbox_lease.TTL.total_seconds() / 4:
            inbox_lease.renew(self.runtime.engine(), self.inbox, self.holder)
            self.renewed = time.monotonic()


def holding_inbox(runtime: Runtime, inbox: Path, body: Callable[[InboxGuard], State]) -> State:
    """Run `body` holding the inbox: the claim database checked first, the inbox's lease
    taken (when another run holds it, nothing is read), given back at the end."""
    guard = InboxGuard(runtime, inbox, inbox_lease.this_process(), check_database(runtime))
    busy = take_inbox(runtime, str(inbox), guard.holder)
    if busy is not None:
        return Completed(
            message=f"another run is reading this inbox ({busy}); this run read nothing"
        )
    try:
        return body(guard)
    finally:
        give_back_inbox(runtime, str(inbox), guard.holder, return_state=True)


def _void_if_changed(engine: Engine, path: Path, taken: FileStamp, file_id: int) -> str | None:
    """Why the file is not what was taken (its read then voided); None when it is."""
    changed = changed_since(path, taken)
    if changed is not None:
        abandon_file(engine, file_id, changed)
    return changed


def read_files(
    runtime: Runtime,
    arrivals: Sequence[Arrival],
    *,
    job: FileJob,
    workers: int,
    guard: InboxGuard,
) -> list[FileRow]:
    """Load or post each file as its own task run, X12 read ahead by `workers` processes,
    and file each away in its folder's processed/ or failed/ as soon as it is read (a file
    that changed while it was read stays in the inbox)."""
    rows: list[FileRow] = []
    paths = [arrival.path for arrival in arrivals]
    with reading_ahead(x12_files(paths), workers, code_cache=runtime.code_cache) as documents:
        for number, arrival in enumerate(arrivals, start=1):
            label = f"{job} file {number} of {len(arrivals)}"
            rows.append(_read_one(runtime, arrival, job, documents, label))
            guard.before_filing()
            file_away(arrival.path, rows[-1].outcome, rows[-1].reason)
    return rows


def _read_one(
    runtime: Runtime, arrival: Arrival, job: FileJob, documents: DocumentSource, label: str
) -> FileRow:
    path, taken = str(arrival.path), arrival.stamp
    state: State[FileResult] | State[RemitResult] = (
        load_intake_file(runtime, path, taken, documents, label, return_state=True)
        if job == "load"
        else post_remittance_file(runtime, path, taken, documents, label, return_state=True)
    )
    if state.is_failed():
        reason = safe_error(exception_of(state))
        return FileRow(file=label, outcome=FileOutcome.FAILED, reason=reason)
    result = state.result()
    name = f"intake file {result.intake_file_id}"
    if result.changed is not None:
        reason = f"{result.changed}; left in the inbox to be read again once it is finished"
        return FileRow(file=name, outcome=FileOutcome.WAITING, reason=reason)
    usable = result.usable()
    return FileRow(
        file=name,
        outcome=FileOutcome.PROCESSED if usable else FileOutcome.FAILED,
        reason=result.said() if usable else f"{UNUSABLE[job]}; {result.first_refusal()}",
        counts=result.counts(),
    )


def set_aside(
    not_ready: Sequence[NotReady], outcome: FileOutcome, *, guard: InboxGuard
) -> list[FileRow]:
    """Rows for files a survey did not take: refused ones are recorded and moved to failed/
    with their reason, waiting ones stay (named by their kind: they are not on file yet)."""
    rows = []
    for item in not_ready:
        if outcome is FileOutcome.WAITING:
            name = f"a {item.path.suffix.lower() or 'extensionless'} file"
        else:
            guard.before_filing()
            file_id = record_refused_file(guard.runtime, str(item.path), item.reason)
            name = f"intake file {file_id}"
        file_away(item.path, outcome, item.reason)
        rows.append(FileRow(file=name, outcome=outcome, reason=item.reason))
    return rows
