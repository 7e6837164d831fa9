"""Load packet files into the claim database: every record is loaded or quarantined.

Records are validated one by one and written in batches: one transaction per batch keeps
100,000 claims fast on SQLite, and if a batch write fails the batch is replayed record
by record, each in its own transaction, so one bad record never takes others with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, Table, delete, insert, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from rules import records as r
from tasks.db import models as m
from tasks.db.base import fit, unfit
from tasks.db.session import session_scope
from tasks.db.statistics import refresh_statistics
from tasks.intake.quarantine import Refused, quarantine
from tasks.intake.reader import Parsed
from tasks.intake.reasons import Reason, RecordRef
from tasks.intake.resolver import Action, Decision, Resolver
from tasks.intake.rows import INSERT_ORDER, SPECS, Rows
from tasks.text import printable_path, withhold_quoted
from tasks.transient import is_transient

BATCH_SIZE = 2000
MAX_DEFERRED = 20000
MAX_PROBLEMS_KEPT = 1000  # the report keeps the first ones; the quarantine table keeps all


@dataclass
class FileReport:
    """The reconciled outcome of one file: records_in = loaded + quarantined."""

    path: str
    sha256: str
    file_id: int = 0  # its intake_file row
    records_in: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    claims_by_payer: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[RecordRef, tuple[Reason, ...]]] = field(default_factory=list)
    claims: Counter[str] = field(default_factory=Counter)  # loaded / refused
    notes: list[str] = field(default_factory=list)  # what was read as meant, but said

    def claims_said(self) -> str:
        """'820 claims: 819 loaded, 1 refused' (a claim is several records)."""
        loaded, refused = self.claims["loaded"], self.claims["refused"]
        total = loaded + refused
        return f"{total:,} claim{'s' if total != 1 else ''}: {loaded:,} loaded, {refused:,} refused"

    @property
    def loaded(self) -> int:
        return self.counts["insert"] + self.counts["update"] + self.counts["unchanged"]

    @property
    def quarantined(self) -> int:
        return self.counts["quarantine"]

    @property
    def reconciles(self) -> bool:
        return self.records_in == self.loaded + self.quarantined


# Where a claim came from, kept on its row: a JSON packet or an 837P.
ClaimSource = Literal["json", "x12"]


def load_records(
    engine: Engine,
    path: Path,
    records: Iterable[Parsed],
    *,
    source: ClaimSource,
    file_format: str,
    resolver: Resolver | None = None,
    batch_size: int = BATCH_SIZE,
    notes: list[str] | None = None,
) -> FileReport:
    """Load one file's parsed records, quarantining what cannot be loaded; counts always
    reconcile. `notes` fills while the records are read (what was read as meant, but said)."""
    resolver = resolver or Resolver()
    digest, size = _file_digest(path)
    report = FileReport(path=printable_path(path), sha256=digest)
    report.notes = notes if notes is not None else []
    file_id = report.file_id = start_file(engine, path, digest, size, file_format=file_format)
    loader = _BatchLoader(engine, resolver, report, file_id, source)
    batch: list[Parsed] = []
    for parsed in records:
        report.records_in += 1
        batch.append(parsed)
        if len(batch) >= batch_size:
            loader.flush(batch, final=False)
            batch = []
    loader.flush(batch, final=False)
    loader.flush_deferred()
    finish_file(
        engine,
        file_id,
        records_in=report.records_in,
        inserted=report.counts["insert"],
        updated=report.counts["update"],
        unchanged=report.counts["unchanged"],
        quarantined=report.quarantined,
        notes=report.notes,
    )
    return report


class _BatchLoader:
    def __init__(
        self,
        engine: Engine,
        resolver: Resolver,
        report: FileReport,
        file_id: int,
        source: ClaimSource,
    ) -> None:
        self.engine = engine
        self.resolver = resolver
        self.report = report
        self.file_id = file_id
        self.deferred: list[Parsed] = []
        self.source = source
        # Rows built when a record was checked for fit, written when it is applied.
        self.built: dict[int, Rows] = {}

    def flush(self, batch: list[Parsed], *, final: bool) -> None:
        if not batch:
            return
        try:
            self._write(batch, final=final, keep_going=False)
        except DBAPIError as error:
            if is_transient(error):
                raise  # the task's retry reads the file again; each record loads once
            # Something neither validation nor the resolver foresaw (a concurrent writer, a
            # constraint or a value the database refuses): replay one record per
            # transaction, so only the culprit is refused, on every backend.
            self.resolver.reset()
            for parsed in batch:
                self._write([parsed], final=final, keep_going=True)
        self.resolver.known.forget_events()
        # The next batch's lookups plan against the tables this one grew.
        refresh_statistics(self.engine)

    def flush_deferred(self) -> None:
        """Retry records that referred to ones later in the file, until no more resolve."""
        while self.deferred:
            pending, self.deferred = self.deferred, []
            for start in range(0, len(pending), BATCH_SIZE):
                self.flush(pending[start : start + BATCH_SIZE], final=False)
            if len(self.deferred) == len(pending):
                # No progress: what is still waiting refers to something that never came.
                stuck, self.deferred = self.deferred, []
                for start in range(0, len(stuck), BATCH_SIZE):
                    self.flush(stuck[start : start + BATCH_SIZE], final=True)

    def _write(self, batch: list[Parsed], *, final: bool, keep_going: bool) -> None:
        outcomes: list[tuple[Parsed, Decision]] = []
        try:
            with session_scope(self.engine) as session:
                valid = [p.record for p in batch if p.record is not None]
                self.resolver.prefetch(session, valid)
                outcomes = [(p, self._decide(p, final=final)) for p in batch]
                self._apply(session, outcomes)
        except DBAPIError as error:
            if not keep_going or is_transient(error):
                raise
            reason = Reason(
                field="(record)", expected="a record the database accepts", found=_db_message(error)
            )
            outcomes = [(p, Decision(Action.QUARANTINE, reasons=(reason,))) for p in batch]
            with session_scope(self.engine) as session:
                self._apply(session, outcomes)
        self._count(outcomes)

    def _decide(self, parsed: Parsed, *, final: bool) -> Decision:
        if parsed.record is None:
            return Decision(Action.QUARANTINE, reasons=parsed.reasons)
        rows = SPECS[parsed.record.type].rows(parsed.record, parsed.digest, self.file_id)
        unfit = _unfit(rows, SPECS[parsed.record.type].table)
        if unfit:
            # Refused here, the same on every backend, before the resolver counts it as known.
            return Decision(Action.QUARANTINE, parsed.digest, unfit)
        self.built[id(parsed)] = rows
        decision = self.resolver.decide(parsed.record, parsed.digest, final=final)
        if decision.action is Action.DEFER and len(self.deferred) >= MAX_DEFERRED:
            return self.resolver.decide(parsed.record, parsed.digest, final=True)
        return decision

    def _apply(self, session: Session, outcomes: list[tuple[Parsed, Decision]]) -> None:
        inserts: dict[Any, list[dict[str, Any]]] = {}
        refused: list[Refused] = []
        for parsed, decision in outcomes:
            built = self.built.pop(id(parsed), None)
            if decision.action in (Action.INSERT, Action.UPDATE):
                assert parsed.record is not None
                rows = built or SPECS[parsed.record.type].rows(
                    parsed.record, decision.digest, self.file_id
                )
                if isinstance(parsed.record, r.Claim):
                    rows[0][1][0]["source"] = self.source
                if decision.action is Action.UPDATE:
                    _replace(session, parsed.record, rows)
                    continue
                for table, table_rows in rows:
                    inserts.setdefault(table, []).extend(table_rows)
            elif decision.action is Action.QUARANTINE:
                raw = parsed.raw
                refused.append(
                    Refused(
                        raw.locator,
                        parsed.record_type,
                        parsed.record_key,
                        raw.data,
                        raw.size,
                        decision.reasons,
                        raw.truncated,
                    )
                )
        for table in INSERT_ORDER:
            if inserts.get(table):
                session.execute(insert(table), inserts[table])
        if refused:
            quarantine(
                session,
                file_id=self.file_id,
                source_path=self.report.path,
                source_sha256=self.report.sha256,
                refused=refused,
            )

    def _count(self, outcomes: list[tuple[Parsed, Decision]]) -> None:
        for parsed, decision in outcomes:
            if decision.action is Action.DEFER:
                self.deferred.append(parsed)
                continue
            self.report.counts[decision.action.value] += 1
            kind = parsed.record_type or "unreadable"
            self.report.by_type[f"{kind}:{decision.action.value}"] += 1
            if decision.action is Action.QUARANTINE:
                self._note_problem(parsed, decision.reasons)
                if kind == "claim":
                    self.report.claims["refused"] += 1
                self.report.claims["refused"] += parsed.claims
            elif isinstance(parsed.record, r.Claim):
                self.report.claims_by_payer[parsed.record.payer_id] += 1
                self.report.claims["loaded"] += 1

    def _note_problem(self, parsed: Parsed, reasons: tuple[Reason, ...]) -> None:
        if len(self.report.problems) < MAX_PROBLEMS_KEPT:
            ref = RecordRef(
                path=self.report.path,
                locator=parsed.raw.locator,
                record_type=parsed.record_type,
                record_key=parsed.record_key,
            )
            self.report.problems.append((ref, reasons))


def _replace(
    session: Session, record: r.Record, rows: list[tuple[Any, list[dict[str, Any]]]]
) -> None:
    """Replace a master-data row (and its child rows) with a newer version."""
    (table, (row,)), *children = rows
    pk = list(table.primary_key.columns)
    if isinstance(record, r.Authorization):
        where = [table.c.payer_id == record.payer_id, table.c.auth_number == record.auth_number]
    else:
        where = [pk[0] == row[pk[0].name]]
    if isinstance(record, r.Claim):
        # A documented claim is new content: checkpoints from before now are stale.
        row = {**row, "received_at": dt.datetime.now(dt.UTC)}
        row.pop("source", None)
        session.execute(delete(m.ClaimLine).where(m.ClaimLine.claim_id == record.claim_id))
    session.execute(update(table).where(*where).values(**row))
    if isinstance(record, r.Claim):
        for child, child_rows in children:
            session.execute(insert(child), child_rows)
    if isinstance(record, r.Provider):
        session.execute(delete(m.ProviderEnrollment).where(m.ProviderEnrollment.npi == record.npi))
        for child, child_rows in children:
            session.execute(insert(child), child_rows)


def _unfit(rows: Rows, own: Table) -> tuple[Reason, ...]:
    """Reasons for the values the database cannot hold, by field (a child table's column by
    its table too): too long, too large, or a NUL character."""
    return tuple(
        Reason(
            field=problem.column if table is own else f"{table.name}.{problem.column}",
            expected=problem.expected,
            found=problem.found,
        )
        for table, table_rows in rows
        for row in table_rows
        for problem in unfit(table, row)
    )


def _db_message(error: DBAPIError) -> str:
    text = str(error.orig).splitlines()[0] if error.orig is not None else "integrity error"
    return f"the database refused it ({withhold_quoted(text)[:120]})"


def _file_digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def start_file(engine: Engine, path: Path, digest: str, size: int, *, file_format: str) -> int:
    """Record that a file is being read, and in which format."""
    with session_scope(engine) as session:
        values = {"path": printable_path(path), "sha256": digest, "size_bytes": size}
        row = m.IntakeFile(**fit(m.IntakeFile.__table__, values), format=file_format)
        session.add(row)
        session.flush()
        return row.id


def refuse_file(engine: Engine, path: Path, reason: str) -> int:
    """Record a file that is not an intake file (it is moved to failed/): its id names it."""
    with session_scope(engine) as session:
        digest, size = _file_digest(path)
        values = {"path": printable_path(path), "sha256": digest, "size_bytes": size}
        row = m.IntakeFile(
            **fit(m.IntakeFile.__table__, values),
            format="refused",
            finished_at=dt.datetime.now(dt.UTC),
            unread_reason=reason[:200],
        )
        session.add(row)
        session.flush()
        return row.id


def abandon_file(engine: Engine, file_id: int, reason: str) -> None:
    """Void a file's read: it changed while it was read and will be read again whole.

    What it loaded stays (a record loads once, so reading it again finds it unchanged);
    what it quarantined goes, since a half-written last record is not the sender's error
    and the next read judges every record again.
    """
    with session_scope(engine) as session:
        session.execute(
            delete(m.IntakeQuarantine).where(m.IntakeQuarantine.intake_file_id == file_id)
        )
        session.execute(
            update(m.IntakeFile)
            .where(m.IntakeFile.id == file_id)
            .values(unread_reason=reason[:200], finished_at=dt.datetime.now(dt.UTC))
        )


def finish_file(
    engine: Engine,
    file_id: int,
    *,
    records_in: int,
    inserted: int,
    updated: int = 0,
    unchanged: int,
    quarantined: int,
    notes: list[str] | None = None,
) -> None:
    """Record a read file's reconciled counts (for an 835: sets, posted, duplicates) and
    what was said of it."""
    with session_scope(engine) as session:
        session.execute(
            update(m.IntakeFile)
            .where(m.IntakeFile.id == file_id)
            .values(
                finished_at=dt.datetime.now(dt.UTC),
                records_in=records_in,
                inserted=inserted,
                updated=updated,
                unchanged=unchanged,
                quarantined=quarantined,
                notes=notes or None,
            )
        )
