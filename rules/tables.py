"""Code tables as data: NCCI PTP edits, MUEs, add-on codes, code validity, fee schedules.

Each table is a CSV file in rules/tables/ whose first columns are those CMS publishes, so a
new quarter's file can be dropped in; ClaimGuard's extra columns (Illustrative, Source) are
optional. Dates are YYYYMMDD (CMS) or YYYY-MM-DD; an empty or '*' deletion date means none.
Every problem in every table is collected and raised together.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

from rules.errors import RuleProblem

BYPASS_MODIFIERS = frozenset({"59", "XE", "XS", "XP", "XU"})


class ModifierIndicator(StrEnum):
    """An NCCI edit's modifier indicator (CMS PTP table)."""

    NEVER = "0"  # no modifier allows both codes
    BYPASSABLE = "1"  # an NCCI-associated modifier allows both when the services were distinct
    NOT_APPLICABLE = "9"  # the edit was deleted back to its effective date


class AddonRelation(StrEnum):
    PRIMARY = "primary"  # the add-on may go with this code
    NEVER_WITH = "never_with"  # the add-on must not go with this code


class FeeBasis(StrEnum):
    AMOUNT = "amount"  # the allowed amount itself
    PERCENT_OF_MEDICARE = "percent_of_medicare"  # a share of the Medicare fee schedule amount


@dataclass(frozen=True, slots=True)
class PtpEdit:
    column_1: str
    column_2: str
    effective: dt.date
    deleted: dt.date | None
    modifier_indicator: ModifierIndicator
    rationale: str
    illustrative: bool
    source: str


@dataclass(frozen=True, slots=True)
class Mue:
    code: str
    units: int
    adjudication_indicator: (
        int  # 1 claim line, 2 date of service (policy), 3 date of service (clinical)
    )
    rationale: str
    effective: dt.date
    illustrative: bool
    source: str


@dataclass(frozen=True, slots=True)
class AddonEdit:
    addon: str
    other: str
    relation: AddonRelation
    effective: dt.date
    deleted: dt.date | None
    source: str


@dataclass(frozen=True, slots=True)
class CodeValidity:
    code: str
    effective: dt.date
    deleted: dt.date | None
    descriptor: str
    source: str


@dataclass(frozen=True, slots=True)
class MedicareRvu:
    code: str
    effective: dt.date
    ends: dt.date | None
    work: Decimal
    pe_non_facility: Decimal
    pe_facility: Decimal
    malpractice: Decimal
    conversion_factor: Decimal
    illustrative: bool
    source: str


@dataclass(frozen=True, slots=True)
class Gpci:
    locality: str
    effective: dt.date
    work: Decimal
    pe: Decimal
    malpractice: Decimal
    illustrative: bool
    source: str


@dataclass(frozen=True, slots=True)
class FeeRow:
    payer_id: str
    plan_id: str  # "" = any plan of the payer
    code: str
    modifier: str  # "" = any
    setting: str  # facility, non_facility, any
    provider_type: str  # a credential, a group (mft_mhc, csw), or any
    effective: dt.date
    ends: dt.date | None
    basis: FeeBasis
    value: Decimal
    illustrative: bool
    source: str


def _active(effective: dt.date, deleted: dt.date | None, on: dt.date) -> bool:
    return effective <= on and (deleted is None or on <= deleted)


@dataclass(frozen=True, slots=True)
class ProviderPercent:
    provider_type: str
    percent: Decimal
    illustrative: bool
    source: str


@dataclass(frozen=True, slots=True)
class CarcCategory:
    carc: str
    category: str
    prevented_by: str  # a lifecycle step, or "" when no pre-submission check could have
    meaning: str
    source: str


@dataclass
class Tables:
    ptp: dict[tuple[str, str], list[PtpEdit]] = field(default_factory=lambda: defaultdict(list))
    mue: dict[str, list[Mue]] = field(default_factory=lambda: defaultdict(list))
    addons: dict[str, list[AddonEdit]] = field(default_factory=lambda: defaultdict(list))
    validity: dict[str, list[CodeValidity]] = field(default_factory=lambda: defaultdict(list))
    rvu: dict[str, list[MedicareRvu]] = field(default_factory=lambda: defaultdict(list))
    gpci: dict[str, list[Gpci]] = field(default_factory=lambda: defaultdict(list))
    fees: dict[tuple[str, str], list[FeeRow]] = field(default_factory=lambda: defaultdict(list))
    provider_percent: dict[str, ProviderPercent] = field(default_factory=dict)
    carc: dict[str, CarcCategory] = field(default_factory=dict)

    def ptp_edit(self, code_a: str, code_b: str, on: dt.date) -> PtpEdit | None:
        """The PTP edit between two codes on a date, whichever is column 1."""
        for key in ((code_a, code_b), (code_b, code_a)):
            for edit in self.ptp.get(key, ()):
                if (
                    _active(edit.effective, edit.deleted, on)
                    and edit.modifier_indicator is not ModifierIndicator.NOT_APPLICABLE
                ):
                    return edit
        return None

    def mue_for(self, code: str, on: dt.date) -> Mue | None:
        rows = [m for m in self.mue.get(code, ()) if m.effective <= on]
        return max(rows, key=lambda m: m.effective) if rows else None

    def addon_rows(self, addon: str, on: dt.date) -> list[AddonEdit]:
        return [a for a in self.addons.get(addon, ()) if _active(a.effective, a.deleted, on)]

    def is_addon(self, code: str) -> bool:
        return code in self.addons

    def validity_of(self, code: str) -> list[CodeValidity]:
        return list(self.validity.get(code, ()))

    def rvu_for(self, code: str, on: dt.date) -> MedicareRvu | None:
        return next((r for r in self.rvu.get(code, ()) if _active(r.effective, r.ends, on)), None)

    def gpci_for(self, locality: str, on: dt.date) -> Gpci | None:
        rows = [g for g in self.gpci.get(locality, ()) if g.effective <= on]
        return max(rows, key=lambda g: g.effective) if rows else None

    def fee_rows(self, payer_id: str, code: str, on: dt.date) -> list[FeeRow]:
        return [f for f in self.fees.get((payer_id, code), ()) if _active(f.effective, f.ends, on)]


# ---------------------------------------------------------------- reading


class _Reader:
    """Reads one CSV table, turning bad cells into RuleProblems instead of exceptions."""

    def __init__(self, path: Path, problems: list[RuleProblem]) -> None:
        self.path = path
        self.problems = problems

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        with self.path.open(newline="") as handle:
            lines = (line for line in handle if not line.startswith("#"))
            for number, row in enumerate(csv.DictReader(lines), start=2):
                yield number, {k.strip(): (v or "").strip() for k, v in row.items() if k}

    def get(
        self,
        row: dict[str, str],
        line: int,
        column: str,
        convert: Callable[[str], Any],
        *,
        optional: bool = False,
    ) -> Any:
        raw = row.get(column, "")
        if raw in ("", "*") and optional:
            return None
        try:
            return convert(raw)
        except (ValueError, InvalidOperation):
            self.problems.append(
                RuleProblem(
                    f"{self.path.name}:{line}",
                    None,
                    column,
                    f"expected {_WHAT.get(convert, 'a value')}; found {raw!r}",
                )
            )
            raise _BadRow from None


class _BadRow(Exception):
    pass


def date(value: str) -> dt.date:
    if len(value) == 8 and value.isdigit():
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    return dt.date.fromisoformat(value)


def flag(value: str) -> bool:
    if value.lower() in ("", "no", "n", "false", "0"):
        return False
    if value.lower() in ("yes", "y", "true", "1"):
        return True
    raise ValueError(value)


def code(value: str) -> str:
    if not value or len(value) != 5 or not value.isalnum():
        raise ValueError(value)
    return value.upper()


_WHAT: dict[Any, str] = {
    date: "a date (YYYYMMDD or YYYY-MM-DD)",
    Decimal: "a number",
    int: "a whole number",
    flag: "yes or no",
    code: "a 5-character code",
    str: "text",
}


def load_tables(folder: Path, problems: list[RuleProblem]) -> Tables:
    """Read every table in `folder`; problems are appended, never raised here."""
    tables = Tables()
    readers = {
        "ncci_ptp_practitioner.csv": _read_ptp,
        "mue_practitioner.csv": _read_mue,
        "addon_codes.csv": _read_addons,
        "code_validity.csv": _read_validity,
        "medicare_pfs_rvu.csv": _read_rvu,
        "medicare_gpci.csv": _read_gpci,
        "fee_schedule.csv": _read_fees,
        "medicare_provider_percent.csv": _read_percent,
        "carc_categories.csv": _read_carc,
    }
    for name, read in readers.items():
        path = folder / name
        if not path.exists():
            problems.append(RuleProblem(str(path), None, None, "required table is missing"))
            continue
        reader = _Reader(path, problems)
        for line, row in reader.rows():
            try:
                read(tables, reader, line, row)
            except _BadRow:
                continue
    return tables


def _read_ptp(t: Tables, r: _Reader, line: int, row: dict[str, str]) -> None:
    indicator = r.get(row, line, "Modifier 0=not allowed 1=allowed 9=not applicable", str)
    if indicator not in set(ModifierIndicator):
        r.problems.append(
            RuleProblem(
                f"{r.path.name}:{line}",
                None,
                "Modifier",
                f"expected 0, 1 or 9; found {indicator!r}",
            )
        )
        return
    edit = PtpEdit(
        column_1=r.get(row, line, "Column 1", code),
        column_2=r.get(row, line, "Column 2", code),
        effective=r.get(row, line, "Effective Date", date),
        deleted=r.get(row, line, "Deletion Date", date, optional=True),
        modifier_indicator=ModifierIndicator(indicator),
        rationale=row.get("PTP Edit Rationale", ""),
        illustrative=r.get(row, line, "Illustrative", flag),
        source=row.get("Source", "CMS NCCI PTP practitioner table"),
    )
    t.ptp[(edit.column_1, edit.column_2)].append(edit)


def _read_mue(t: Tables, r: _Reader, line: int, row: dict[str, str]) -> None:
    mai_text = r.get(row, line, "MUE Adjudication Indicator", str)
    if mai_text[:1] not in ("1", "2", "3"):
        r.problems.append(
            RuleProblem(
                f"{r.path.name}:{line}",
                None,
                "MUE Adjudication Indicator",
                f"expected text starting 1, 2 or 3; found {mai_text!r}",
            )
        )
        return
    mue = Mue(
        code=r.get(row, line, "HCPCS/CPT Code", code),
        units=r.get(row, line, "Practitioner Services MUE Values", int),
        adjudication_indicator=int(mai_text[0]),
        rationale=row.get("MUE Rationale", ""),
        effective=r.get(row, line, "Effective Date", date, optional=True) or dt.date(2000, 1, 1),
        illustrative=r.get(row, line, "Illustrative", flag),
        source=row.get("Source", "CMS MUE practitioner table"),
    )
    t.mue[mue.code].append(mue)


def _read_addons(t: Tables, r: _Reader, line: int, row: dict[str, str]) -> None:
    relation = row.get("Relation", "")
    if relation not in set(AddonRelation):
        r.problems.append(
            RuleProblem(
                f"{r.path.name}:{line}",
                None,
                "Relation",
                f"expected primary or never_with; found {relation!r}",
            )
        )
        return
    edit = AddonEdit(
        addon=r.get(row, line, "Add-on Code", code),
        other=r.get(row, line, "Other Code", code),
        relation=AddonRelation(relation),
        effective=r.get(row, line, "Effective Date", date),
        deleted=r.get(row, line, "Deletion Date", date, optional=True),
        source=row.get("Source", ""),
    )
    t.addons[edit.addon].append(edit)


def _read_validity(t: Tables, r: _Reader, line: int, row: dict[str, str]) -> None:
    row_value = CodeValidity(
        code=r.get(row, line, "Code", code),
        effective=r.get(row, line, "Effective Date", date),
        deleted=r.get(row, line, "Deletion Date", date, optional=True),
        descriptor=row.get("Descriptor", ""),
        source=row.get("Source", ""),
    )
    t.validity[row_value.code].append(row_value)


def _read_rvu(t: Tables, r: _Reader, line: int, row: dict[str, str]) -> None:
    rvu = MedicareRvu(
        code=r.get(row, line, "HCPCS", code),
        effective=r.get(row, line, "Effective Date", date),
        ends=r.get(row, line, "End Date", date, optional=True),
        work=r.get(row, line, "Work RVU", Decimal),
        pe_non_facility=r.get(row, line, "Non-Facility PE RVU", Decimal),
        pe_facility=r.get(row, line, "Facility PE RVU", Decimal),
        malpractice=r.get(row, line, "MP RVU", Decimal),
        conversion_factor=r.get(row, line, "Conversion Factor", Decimal),
        illustrative=r.get(row, line, "Illustrative", flag),
        source=row.get("Source", ""),
    )
    t.rvu[rvu.code].append(rvu)


def _read_gpci(t: Tables, r: _Reader, line: int, row: dict[str, str]) -> None:
    gpci = Gpci(
        locality=r.get(row, line, "Locality", str),
        effective=r.get(row, line, "Effective Date", date),
        work=r.get(row, line, "PW GPCI", Decimal),
        pe=r.get(row, line, "PE GPCI", Decimal),
        malpractice=r.get(row, line, "MP GPCI", Decimal),
        illustrative=r.get(row, line, "Illustrative", flag),
        source=row.get("Source", ""),
    )
    t.gpci[gpci.locality].append(gpci)


def _read_fees(t: Tables, r: _Reader, line: int, row: dict[str, str]) -> None:
    basis = row.get("Basis", "")
    if basis not in set(FeeBasis):
        r.problems.append(
            RuleProblem(
                f"{r.path.name}:{line}",
                None,
                "Basis",
                f"expected amount or percent_of_medicare; found {basis!r}",
            )
        )
        return
    fee = FeeRow(
        payer_id=r.get(row, line, "Payer", str),
        plan_id=row.get("Plan", ""),
        code=r.get(row, line, "Code", code),
        modifier=row.get("Modifier", ""),
        setting=row.get("Setting", "") or "any",
        provider_type=row.get("Provider Type", "") or "any",
        effective=r.get(row, line, "Effective Date", date),
        ends=r.get(row, line, "End Date", date, optional=True),
        basis=FeeBasis(basis),
        value=r.get(row, line, "Value", Decimal),
        illustrative=r.get(row, line, "Illustrative", flag),
        source=row.get("Source", ""),
    )
    t.fees[(fee.payer_id, fee.code)].append(fee)


def _read_percent(t: Tables, r: _Reader, line: int, row: dict[str, str]) -> None:
    kind = r.get(row, line, "Provider Type", str)
    t.provider_percent[kind] = ProviderPercent(
        kind,
        r.get(row, line, "Percent", Decimal),
        r.get(row, line, "Illustrative", flag),
        row.get("Source", ""),
    )


def _read_carc(t: Tables, r: _Reader, line: int, row: dict[str, str]) -> None:
    step = row.get("Prevented By Step", "")
    steps = ("", "verification", "code_confirmation", "documentation", "coding_edits")
    if step not in steps:
        r.problems.append(
            RuleProblem(
                f"{r.path.name}:{line}",
                None,
                "Prevented By Step",
                f"expected a lifecycle step or nothing; found {step!r}",
            )
        )
        return
    carc = r.get(row, line, "CARC", str)
    t.carc[carc] = CarcCategory(
        carc, r.get(row, line, "Category", str), step, row.get("Meaning", ""), row.get("Source", "")
    )
