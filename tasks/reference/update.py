"""An imported reference file turned into ClaimGuard's tables: what changes, then the writing.

`plan_import` reads the file in its published layout, compares what it says with the
tables in force on the effective date, and returns a Plan: the new table files, every row
added, removed or changed (in a biller's words), and the codes whose claims may now be
judged differently. Nothing is written until `apply`. Dated tables keep their history: a
new value starts on the effective date and the row it replaces ends the day before.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar

from rules.outcomes import Step
from rules.tables import PfsStatus
from tasks.reference import layouts as lay
from tasks.reference.layouts import TableKind

# Codes ClaimGuard judges: the CPT psychiatry section with its add-ons, the HCPCS H-codes
# (Medicaid and commercial behavioural health) and the partial hospitalisation, FQHC and
# CCBHC codes Medicare lists with their own status. `--all-codes` keeps every row.
BEHAVIOURAL_HCPCS = frozenset({"G0410", "G0411", "G0469", "G0470", "T1040", "T1041"})
# Statuses whose RVUs Medicare pays with (rbrvs.net; docs/sources.md §13).
PAID_STATUSES = frozenset({PfsStatus.ACTIVE, PfsStatus.RESTRICTED, PfsStatus.INJECTION})
IMPORT_LOG = "imports.csv"
LOG_COLUMNS = ["Kind", "File", "SHA-256", "Effective Date", "Added", "Removed", "Changed"]


def in_scope(code: str) -> bool:
    return "90785" <= code <= "90899" or code.startswith("H") or code in BEHAVIOURAL_HCPCS


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    key: str  # the code, pair or locality
    what: str  # in a biller's words: "Work RVU 0.65 → 0.67"


@dataclass
class TableFile:
    """A table of rules/tables: its leading comment lines, header and rows, as text."""

    name: str
    comments: list[str]
    header: list[str]
    rows: list[dict[str, str]]

    @classmethod
    def read(cls, folder: Path, name: str, *, header: Sequence[str] = ()) -> TableFile:
        path = folder / name
        if not path.exists():
            return cls(name, [], list(header), [])
        lines = path.read_text().splitlines(keepends=True)
        comments = [line for line in lines if line.startswith("#")]
        body = [line for line in lines if not line.startswith("#")]
        reader = csv.DictReader(io.StringIO("".join(body)))
        rows = [{k: (v or "") for k, v in row.items() if k} for row in reader]
        return cls(name, comments, list(reader.fieldnames or header), rows)

    def with_column(self, column: str, *, after: str | None = None) -> TableFile:
        if column not in self.header:
            at = self.header.index(after) + 1 if after in self.header else len(self.header)
            self.header.insert(at, column)
        return self

    def text(self) -> str:
        out = io.StringIO()
        out.writelines(self.comments)
        writer = csv.DictWriter(out, self.header, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        return out.getvalue()


@dataclass
class Plan:
    kind: TableKind | Literal["contract"]
    file_name: str
    digest: str
    effective: dt.date
    tables: list[TableFile] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    out_of_scope: int = 0
    codes: set[str] = field(default_factory=set)  # claims with these codes may change
    since: dt.date | None = None  # ... on or after this date of service
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    payer_id: str | None = None  # only this payer's claims may change (a contract)
    any_code: bool = False  # claims of every code may change (a GPCI, a CARC's meaning)
    incomplete: bool = False  # rows were refused: what the file leaves out is not removed

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind is kind)


@dataclass(frozen=True)
class Origin:
    """What every row an import writes says of itself, and which codes it keeps."""

    source: str  # "CMS PFS relative value file PPRRVU26.csv, effective 2026-01-01"
    illustrative: bool
    keep: Callable[[str], bool]  # the codes within the scope


# ---------------------------------------------------------------- dates and rows


def day(value: str) -> dt.date | None:
    value = value.strip()
    if value in ("", "*"):
        return None
    if len(value) == 8 and value.isdigit():
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    return dt.date.fromisoformat(value)


def covers(row: dict[str, str], on: dt.date, *, end: str = "End Date") -> bool:
    start, stop = day(row.get("Effective Date", "")), day(row.get(end, ""))
    return (start is None or start <= on) and (stop is None or on <= stop)


def _in_force(
    rows: Iterable[dict[str, str]], column: str, key: str, on: dt.date
) -> dict[str, str] | None:
    """The row of `key` (in `column`) in force on a date."""
    found = [r for r in rows if r[column] == key and covers(r, on)]
    return max(found, key=lambda r: day(r.get("Effective Date", "")) or dt.date.min, default=None)


def _start(
    rows: list[dict[str, str]], column: str, key: str, new: dict[str, str], on: dt.date
) -> None:
    """`new` holds from `on` until the row it replaces would have ended (or the next dated
    row of the key starts); the row it replaces ends the day before, and a row of the same
    key starting that day is replaced."""
    same = [r for r in rows if r[column] == key]
    new["End Date"] = period_end(same, on)  # dropped when written to a table without the column
    _stop(rows, column, key, on)
    at = max((i for i, r in enumerate(rows) if r[column] == key), default=len(rows) - 1) + 1
    rows.insert(at, new)


def period_end(same: list[dict[str, str]], on: dt.date) -> str:
    """Where a value starting on `on` ends, among a key's dated rows: when the row it replaces
    would have (an end date is kept, so no gap is priced), and before the next row starts."""
    replaced = next((r for r in same if covers(r, on)), None)
    ends = [d for d in [day(replaced.get("End Date", ""))] if d] if replaced else []
    ends += [
        d - dt.timedelta(days=1) for r in same if (d := day(r.get("Effective Date", ""))) and d > on
    ]
    return min(ends).isoformat() if ends else ""


def _stop(rows: list[dict[str, str]], column: str, key: str, on: dt.date) -> None:
    """The key's row in force on `on` ends the day before; one starting that day goes."""
    for row in [r for r in rows if r[column] == key]:
        start = day(row.get("Effective Date", ""))
        if start == on:
            rows.remove(row)
        elif covers(row, on):
            row["End Date"] = (on - dt.timedelta(days=1)).isoformat()


def _numbers(row: dict[str, str] | None, columns: Sequence[str]) -> tuple[Decimal, ...] | None:
    if row is None:
        return None
    return tuple(Decimal(row.get(c) or "0") for c in columns)


def _describe(columns: Sequence[str], before: Sequence[object], after: Sequence[object]) -> str:
    return "; ".join(
        f"{c} {b} → {a}" for c, b, a in zip(columns, before, after, strict=True) if b != a
    )


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- PPRRVU

RVU_COLUMNS = ("Work RVU", "Non-Facility PE RVU", "Facility PE RVU", "MP RVU", "Conversion Factor")


def _plan_pprrvu(plan: Plan, read: lay.Read[lay.RvuRecord], folder: Path, origin: Origin) -> None:
    source, illustrative, keep = origin.source, origin.illustrative, origin.keep
    rvu = TableFile.read(folder, "medicare_pfs_rvu.csv")
    status = TableFile.read(folder, "medicare_pfs_status.csv")
    on = plan.effective
    factors = {r.conversion_factor for _, r in read.records}
    if len(factors) > 1:
        plan.notes.append(
            f"the file has {len(factors)} conversion factors: each code keeps its own row's"
        )
    seen: set[str] = set()
    for record in _scoped(plan, read, keep, seen):
        said = [
            *_rvu_change(rvu, record, on, source=source, illustrative=illustrative),
            *_status_change(status, record, on, source=source),
        ]
        if not said:
            plan.unchanged += 1
            continue
        was = _in_force(rvu.rows, "HCPCS", record.code, on - dt.timedelta(days=1))
        kind = ChangeKind.CHANGED if was else ChangeKind.ADDED
        if record.status not in PAID_STATUSES and was:
            kind = ChangeKind.REMOVED
        plan.changes.append(Change(kind, record.code, "; ".join(said)))
        plan.codes.add(record.code)
    _end_missing(plan, rvu, "HCPCS", seen, keep, "not in the release: no longer priced")
    plan.tables += [rvu, status]
    plan.steps = [Step.CODING_EDITS, Step.POST_PAYMENT_AUDIT]


def _rvu_change(
    table: TableFile, record: lay.RvuRecord, on: dt.date, *, source: str, illustrative: bool
) -> list[str]:
    current = _in_force(table.rows, "HCPCS", record.code, on)
    paid = record.status in PAID_STATUSES and not record.not_used_for_payment
    if not paid:
        if current is None:
            return []
        _stop(table.rows, "HCPCS", record.code, on)
        return [f"no longer paid under the PFS (status {record.status.value})"]
    values = (
        record.work,
        record.pe_non_facility,
        record.pe_facility,
        record.malpractice,
        record.conversion_factor,
    )
    before = _numbers(current, RVU_COLUMNS)
    was_illustrative = current is not None and current.get("Illustrative", "").lower() in (
        "yes",
        "y",
        "true",
        "1",
    )
    if before == values and was_illustrative == illustrative:
        return []
    new = {
        "HCPCS": record.code,
        "Effective Date": on.isoformat(),
        **{c: str(v) for c, v in zip(RVU_COLUMNS, values, strict=True)},
        "Illustrative": "yes" if illustrative else "no",
        "Source": source,
    }
    _start(table.rows, "HCPCS", record.code, new, on)
    if before is None:
        return [f"priced: {_describe(RVU_COLUMNS, ('-',) * 5, values)}"]
    if before == values:
        return [
            "same values, now from " + ("an illustrative file" if illustrative else "the CMS file")
        ]
    return [_describe(RVU_COLUMNS, before, values)]


def _status_change(
    table: TableFile, record: lay.RvuRecord, on: dt.date, *, source: str
) -> list[str]:
    current = _in_force(table.rows, "HCPCS", record.code, on)
    paid = record.status in PAID_STATUSES
    if current is None and paid:
        return []  # a paid code needs no status row: its RVU row says it is paid
    if current is not None and current["Status"] == record.status.value:
        return []
    new = {
        "HCPCS": record.code,
        "Status": record.status.value,
        "Effective Date": on.isoformat(),
        "Source": source,
    }
    _start(table.rows, "HCPCS", record.code, new, on)
    before = current["Status"] if current else "not listed"
    return [f"status {before} → {record.status.value}"]


C = TypeVar("C", lay.RvuRecord, lay.MueRecord)


def _scoped(
    plan: Plan, read: lay.Read[C], keep: Callable[[str], bool], seen: set[str]
) -> Iterator[C]:
    """The file's records of codes within the scope (counting the others), noting each code."""
    for _, record in read.records:
        if not keep(record.code):
            plan.out_of_scope += 1
            continue
        seen.add(record.code)
        yield record


def _end_missing(
    plan: Plan,
    table: TableFile,
    column: str,
    seen: set[str],
    keep: Callable[[str], bool],
    why: str,
) -> None:
    """Codes in force on the date that the whole file leaves out end the day before (not
    when rows were refused: a refused row is not a code left out)."""
    if plan.incomplete:
        return
    for row in list(table.rows):
        code = row[column]
        if code not in seen and keep(code) and covers(row, plan.effective):
            _stop(table.rows, column, code, plan.effective)
            plan.changes.append(Change(ChangeKind.REMOVED, code, why))
            plan.codes.add(code)


# ---------------------------------------------------------------- NCCI PTP and MUE


def _ptp_key(row: dict[str, str]) -> tuple[str, str, str]:
    start = day(row["Effective Date"])
    return row["Column 1"], row["Column 2"], f"{start:%Y%m%d}" if start else ""


def _plan_ptp(plan: Plan, read: lay.Read[lay.PtpRecord], folder: Path, origin: Origin) -> None:
    source, illustrative, keep = origin.source, origin.illustrative, origin.keep
    table = TableFile.read(folder, "ncci_ptp_practitioner.csv")
    indicator = "Modifier 0=not allowed 1=allowed 9=not applicable"
    kept = [r for r in table.rows if not (keep(r["Column 1"]) or keep(r["Column 2"]))]
    current = {_ptp_key(r): r for r in table.rows if keep(r["Column 1"]) or keep(r["Column 2"])}
    rows: list[dict[str, str]] = []
    dates: list[dt.date] = []
    for _, record in read.records:
        if not (keep(record.column_1) or keep(record.column_2)):
            plan.out_of_scope += 1
            continue
        row = {
            "Column 1": record.column_1,
            "Column 2": record.column_2,
            "*": "*" if record.prior_1996 else "",
            "Effective Date": f"{record.effective:%Y%m%d}",
            "Deletion Date": f"{record.deleted:%Y%m%d}" if record.deleted else "*",
            indicator: record.modifier_indicator,
            "PTP Edit Rationale": record.rationale,
            "Illustrative": "yes" if illustrative else "no",
            "Source": source,
        }
        rows.append(row)
        old = current.pop(_ptp_key(row), None)
        pair = f"{record.column_1}/{record.column_2} from {record.effective}"
        compared = ("Deletion Date", indicator, "Illustrative")
        if old is None:
            plan.changes.append(
                Change(
                    ChangeKind.ADDED,
                    pair,
                    f"modifier indicator {record.modifier_indicator}"
                    + (f", deleted {record.deleted}" if record.deleted else ""),
                )
            )
        elif tuple(_same(old.get(c, "")) for c in compared) != tuple(
            _same(row[c]) for c in compared
        ):
            plan.changes.append(
                Change(
                    ChangeKind.CHANGED,
                    pair,
                    _describe(
                        ("deletion", "modifier indicator", "illustrative"),
                        [old.get(c, "") or "*" for c in compared],
                        [row[c] for c in compared],
                    ),
                )
            )
        else:
            plan.unchanged += 1
            continue
        plan.codes |= {record.column_1, record.column_2}
        dates += [record.effective, *([record.deleted] if record.deleted else [])]
    # CMS splits the practitioner file in parts (f1-f4) by Column 1: a part speaks only for
    # the Column 1 codes in its range, and a file with refused rows for none it left out.
    firsts = [r.column_1 for _, r in read.records]
    low, high = (min(firsts), max(firsts)) if firsts else ("", "")
    for (col1, col2, start), old in current.items():
        if plan.incomplete or not low <= col1 <= high:
            rows.append(old)
            continue
        plan.changes.append(
            Change(
                ChangeKind.REMOVED,
                f"{col1}/{col2} from {day(start)}",
                "not in the file"
                + (" (was illustrative)" if _same(old.get("Illustrative", "")) == "yes" else ""),
            )
        )
        plan.codes |= {col1, col2}
    table.rows = kept + rows
    plan.tables.append(table)
    if firsts:
        plan.notes.append(
            f"the file covers Column 1 codes {low} to {high}: pairs outside them are kept"
        )
    plan.since = min([plan.effective, *dates]) if dates else plan.effective
    plan.steps = [Step.CODING_EDITS]


def _same(value: str) -> str:
    value = value.strip().lower()
    return {"": "", "*": "", "no": "no", "n": "no", "yes": "yes", "y": "yes"}.get(value, value)


def _plan_mue(plan: Plan, read: lay.Read[lay.MueRecord], folder: Path, origin: Origin) -> None:
    source, illustrative, keep = origin.source, origin.illustrative, origin.keep
    table = TableFile.read(folder, "mue_practitioner.csv").with_column(
        "End Date", after="Effective Date"
    )
    on = plan.effective
    columns = (
        "Practitioner Services MUE Values",
        "MUE Adjudication Indicator",
        "MUE Rationale",
        "Illustrative",
    )
    seen: set[str] = set()
    for record in _scoped(plan, read, keep, seen):
        current = _in_force(table.rows, "HCPCS/CPT Code", record.code, on)
        values = (
            str(record.units),
            record.adjudication,
            record.rationale,
            "yes" if illustrative else "no",
        )
        before = (
            tuple(
                _same(current.get(c, "")) if c == "Illustrative" else current.get(c, "")
                for c in columns
            )
            if current
            else None
        )
        if before == values:
            plan.unchanged += 1
            continue
        new = {
            "HCPCS/CPT Code": record.code,
            **dict(zip(columns, values, strict=True)),
            "Effective Date": on.isoformat(),
            "Source": source,
        }
        _start(table.rows, "HCPCS/CPT Code", record.code, new, on)
        what = (
            f"{record.units} unit(s), MAI {record.adjudication[:1]}"
            if before is None
            else _describe(("MUE", "MAI", "rationale", "illustrative"), before, values)
        )
        plan.changes.append(
            Change(ChangeKind.ADDED if before is None else ChangeKind.CHANGED, record.code, what)
        )
        plan.codes.add(record.code)
    _end_missing(
        plan, table, "HCPCS/CPT Code", seen, keep, "not in the file: no MUE from this date"
    )
    plan.tables.append(table)
    plan.steps = [Step.CODING_EDITS]


# ---------------------------------------------------------------- GPCI and localities


def _plan_gpci(plan: Plan, read: lay.Read[lay.GpciRecord], folder: Path, origin: Origin) -> None:
    source, illustrative = origin.source, origin.illustrative
    table = TableFile.read(folder, "medicare_gpci.csv").with_column(
        "Locality Name", after="Locality"
    )
    on = plan.effective
    columns = ("PW GPCI", "PE GPCI", "MP GPCI")
    seen: set[str] = set()
    for _, record in read.records:
        seen.add(record.key)
        current = _in_force(table.rows, "Locality", record.key, on)
        values = (record.work, record.pe, record.malpractice)
        before = _numbers(current, columns)
        if before == values:
            plan.unchanged += 1
            continue
        table.rows = [
            r
            for r in table.rows
            if not (r["Locality"] == record.key and day(r["Effective Date"]) == on)
        ]
        table.rows.append(
            {
                "Locality": record.key,
                "Locality Name": f"{record.state} {record.name}".strip(),
                "Effective Date": on.isoformat(),
                **{c: str(v) for c, v in zip(columns, values, strict=True)},
                "Illustrative": "yes" if illustrative else "no",
                "Source": source,
            }
        )
        kind = ChangeKind.ADDED if before is None else ChangeKind.CHANGED
        plan.changes.append(
            Change(
                kind,
                record.key,
                f"{record.state} {record.name}: "
                + _describe(columns, before or ("-",) * 3, values),
            )
        )
    for row in list(table.rows):
        if row["Locality"] not in seen and _same(row.get("Illustrative", "")) == "yes":
            table.rows.remove(row)
            plan.changes.append(
                Change(
                    ChangeKind.REMOVED,
                    row["Locality"],
                    "an illustrative placeholder, not a CMS locality",
                )
            )
    plan.tables.append(table)
    plan.steps = [Step.POST_PAYMENT_AUDIT]
    plan.any_code = True
    plan.notes.append(
        "a location is priced with its locality's GPCIs once its record names its medicare_locality (e.g. 04412-31); others at the national amount"
    )


def _plan_localities(
    plan: Plan, read: lay.Read[lay.LocalityRecord], folder: Path, *, source: str
) -> None:
    header = ["Locality", "Effective Date", "State", "Fee Schedule Area", "Counties", "Source"]
    table = TableFile.read(folder, "medicare_localities.csv", header=header)
    if not table.comments:
        table.comments = [
            "# Medicare payment localities (CMS LOCCO file): the counties each MAC locality covers.\n"
        ]
    current = {r["Locality"]: r for r in table.rows}
    rows = []
    for _, record in read.records:
        row = {
            "Locality": record.key,
            "Effective Date": plan.effective.isoformat(),
            "State": record.state,
            "Fee Schedule Area": record.area,
            "Counties": record.counties,
            "Source": source,
        }
        rows.append(row)
        old = current.pop(record.key, None)
        if old is None:
            plan.changes.append(
                Change(ChangeKind.ADDED, record.key, f"{record.state} {record.area}")
            )
        elif (old["State"], old["Fee Schedule Area"], old["Counties"]) != (
            record.state,
            record.area,
            record.counties,
        ):
            plan.changes.append(
                Change(
                    ChangeKind.CHANGED,
                    record.key,
                    f"{old['Fee Schedule Area']}: {old['Counties']} → {record.area}: {record.counties}",
                )
            )
        else:
            row["Effective Date"], row["Source"] = old["Effective Date"], old["Source"]
            plan.unchanged += 1
    for key, old in current.items():
        plan.changes.append(
            Change(ChangeKind.REMOVED, key, f"{old['State']} {old['Fee Schedule Area']}")
        )
    table.rows = rows
    plan.tables.append(table)


# ---------------------------------------------------------------- CARC and RARC


def _plan_carc(
    plan: Plan, read: lay.Read[lay.CodeListRecord], folder: Path, *, source: str
) -> None:
    table = TableFile.read(folder, "carc_categories.csv").with_column("Stop Date", after="Meaning")
    by_code = {r["CARC"]: r for r in table.rows}
    for _, record in read.records:
        stop = record.stop.isoformat() if record.stop else ""
        row = by_code.get(record.code)
        if row is None:
            table.rows.append(
                {
                    "CARC": record.code,
                    "Category": "other",
                    "Prevented By Step": "",
                    "Meaning": record.description,
                    "Stop Date": stop,
                    "Source": source,
                }
            )
            plan.changes.append(
                Change(
                    ChangeKind.ADDED,
                    record.code,
                    f"{record.description[:80]} (category other until you set one)",
                )
            )
        elif (row["Meaning"], row.get("Stop Date", "")) != (record.description, stop):
            what = "stopped " + stop if stop and not row.get("Stop Date") else "meaning updated"
            row.update({"Meaning": record.description, "Stop Date": stop, "Source": source})
            plan.changes.append(Change(ChangeKind.CHANGED, record.code, what))
        else:
            plan.unchanged += 1
            continue
        plan.codes.add(record.code)
    missing = set(by_code) - {r.code for _, r in read.records}
    if missing:
        plan.notes.append(
            f"{len(missing)} CARC(s) of the table are not in the file and were kept: {', '.join(sorted(missing)[:10])}"
        )
    plan.tables.append(table)
    plan.steps = [Step.POST_PAYMENT_AUDIT]
    plan.any_code = True


def _plan_rarc(
    plan: Plan, read: lay.Read[lay.CodeListRecord], folder: Path, *, source: str
) -> None:
    table = TableFile.read(folder, "rarc_codes.csv")
    current = {r["Code"]: r for r in table.rows}
    rows = []
    for _, record in read.records:
        row = {
            "Code": record.code,
            "Description": record.description,
            "Start Date": record.start.isoformat() if record.start else "",
            "Stop Date": record.stop.isoformat() if record.stop else "",
            "Source": source,
        }
        rows.append(row)
        old = current.pop(record.code, None)
        if old is None:
            plan.changes.append(Change(ChangeKind.ADDED, record.code, record.description[:80]))
        elif (old["Description"], old["Stop Date"]) != (row["Description"], row["Stop Date"]):
            plan.changes.append(
                Change(
                    ChangeKind.CHANGED,
                    record.code,
                    "stopped " + row["Stop Date"]
                    if row["Stop Date"] and not old["Stop Date"]
                    else "description updated",
                )
            )
        else:
            row["Source"] = old["Source"]
            plan.unchanged += 1
    for code in current:
        plan.changes.append(Change(ChangeKind.REMOVED, code, "not in the file"))
    table.rows = rows
    plan.tables.append(table)


# ---------------------------------------------------------------- the whole import


def plan_import(
    kind: TableKind,
    data: bytes,
    *,
    file_name: str,
    effective: dt.date,
    folder: Path,
    all_codes: bool = False,
    illustrative: bool = False,
) -> tuple[Plan, lay.Read[Any]]:
    """What importing `data` (a file of `kind`) as of `effective` would change in the tables
    of `folder`; raises LayoutError when the file is not that kind's layout."""
    text = decoded(
        data,
        zipped="this is a zip or an Excel workbook: unzip CMS's download and import the .csv "
        "(or, for NCCI PTP, the .txt) inside it",
    )
    plan = Plan(kind, file_name, digest(data), effective)
    source = f"{_PUBLISHER[kind]} {file_name}, effective {effective.isoformat()}" + (
        " (illustrative)" if illustrative else ""
    )

    def keep(code: str) -> bool:
        return all_codes or in_scope(code)

    origin = Origin(source, illustrative, keep)
    read: lay.Read[Any] = _READERS[kind](text)
    plan.incomplete = bool(read.refused)
    _refuse_older(plan, folder)
    match kind:
        case TableKind.PPRRVU:
            _plan_pprrvu(plan, read, folder, origin)
        case TableKind.NCCI_PTP:
            _plan_ptp(plan, read, folder, origin)
        case TableKind.MUE:
            _plan_mue(plan, read, folder, origin)
        case TableKind.GPCI:
            _plan_gpci(plan, read, folder, origin)
        case TableKind.LOCALITY:
            _plan_localities(plan, read, folder, source=source)
        case TableKind.CARC:
            _plan_carc(plan, read, folder, source=source)
        case TableKind.RARC:
            _plan_rarc(plan, read, folder, source=source)
    if plan.since is None:
        plan.since = effective
    if read.refused:
        plan.notes.append(
            f"{len(read.refused)} row(s) refused: no code the file leaves out was removed; "
            "correct those rows and import the file again"
        )
    return plan, read


_READERS: dict[TableKind, Callable[[str], lay.Read[Any]]] = {
    TableKind.PPRRVU: lay.read_pprrvu,
    TableKind.NCCI_PTP: lay.read_ptp,
    TableKind.MUE: lay.read_mue,
    TableKind.GPCI: lay.read_gpci,
    TableKind.LOCALITY: lay.read_localities,
    TableKind.CARC: lambda text: lay.read_code_list(text, what="CARC list"),
    TableKind.RARC: lambda text: lay.read_code_list(text, what="RARC list"),
}
# Tables a file replaces whole, without dated history: an older file must not replace a newer.
_WHOLE = frozenset({TableKind.LOCALITY, TableKind.CARC, TableKind.RARC})


def _refuse_older(plan: Plan, folder: Path) -> None:
    if plan.kind not in _WHOLE:
        return
    log = TableFile.read(folder, IMPORT_LOG, header=LOG_COLUMNS)
    dates = [
        d for r in log.rows if r.get("Kind") == str(plan.kind) and (d := day(r["Effective Date"]))
    ]
    if dates and max(dates) > plan.effective:
        raise lay.LayoutError(
            f"the tables hold a {plan.kind} file effective {max(dates)}, and this one is "
            f"effective {plan.effective}: an older list would replace a newer one"
        )


_PUBLISHER = {
    TableKind.PPRRVU: "CMS PFS relative value file",
    TableKind.GPCI: "CMS GPCI file",
    TableKind.LOCALITY: "CMS locality file",
    TableKind.NCCI_PTP: "CMS NCCI practitioner PTP file",
    TableKind.MUE: "CMS practitioner MUE file",
    TableKind.CARC: "X12 CARC list",
    TableKind.RARC: "X12 RARC list",
}


def decoded(data: bytes, *, zipped: str) -> str:
    """The file's text: UTF-8 (a BOM dropped), else Latin-1 as CMS's MUE file is written;
    every line end one newline, whatever it was (Windows CR LF, an old Mac's CR)."""
    if data[:2] == b"PK":
        raise lay.LayoutError(zipped)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def apply(plan: Plan, folder: Path) -> list[str]:
    """Write the plan's tables that change (each whole file replaced at once) and log the
    import; the names of the tables written."""
    log = TableFile.read(folder, IMPORT_LOG, header=LOG_COLUMNS)
    if not log.comments:
        log.comments = [
            "# Reference files and contracts imported into these tables (claimguard tables import, contracts import).\n"
        ]
    log.rows.append(
        {
            "Kind": str(plan.kind),
            "File": plan.file_name,
            "SHA-256": plan.digest,
            "Effective Date": plan.effective.isoformat(),
            "Added": str(plan.count(ChangeKind.ADDED)),
            "Removed": str(plan.count(ChangeKind.REMOVED)),
            "Changed": str(plan.count(ChangeKind.CHANGED)),
        }
    )
    written = []
    for table in [*plan.tables, log]:
        target = folder / table.name
        text = table.text()
        if target.exists() and target.read_text() == text:
            continue
        temporary = target.with_name(f".{table.name}.importing")
        temporary.write_text(text)
        os.replace(temporary, target)
        written.append(table.name)
    return written
