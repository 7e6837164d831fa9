"""Code tables as data: NCCI PTP edits, MUEs, add-on codes, code validity, fee schedules,
PFS status, CARC and RARC lists, Medicare localities.

Each table is a CSV file in rules/tables/ whose first columns are those CMS publishes, so a
new quarter's file can be dropped in; ClaimGuard's extra columns (Illustrative, Source) are
optional and columns it does not use are ignored. Dates are YYYYMMDD (CMS) or YYYY-MM-DD; an
empty or '*' deletion date means none. A row is a Pydantic model whose field aliases are the
file's column names; every bad cell of every table is collected and raised together.
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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from rules.errors import RuleProblem, validation_problems

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


# ---------------------------------------------------------------- cells


def _date(value: str) -> dt.date:
    if len(value) == 8 and value.isdigit():
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    return dt.date.fromisoformat(value)


def _optional_date(value: str) -> dt.date | None:
    return None if value in ("", "*") else _date(value)


def _flag(value: str) -> bool:
    if value.lower() in ("", "no", "n", "false", "0"):
        return False
    if value.lower() in ("yes", "y", "true", "1"):
        return True
    raise ValueError(value)


def _code(value: str) -> str:
    if len(value) != 5 or not value.isalnum():
        raise ValueError(value)
    return value.upper()


def _number(value: str) -> Decimal:
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(value)
    return number


def _text(value: str) -> str:
    if not value:
        raise ValueError(value)
    return value


def _adjudication(value: str) -> int:
    # CMS writes the indicator with its meaning: "2 Date of Service Edit: Policy".
    if value[:1] not in ("1", "2", "3"):
        raise ValueError(value)
    return int(value[0])


def _cell(parse: Callable[[str], Any], expected: str) -> BeforeValidator:
    """A CSV cell parsed by `parse`; a cell it refuses says what was expected."""

    def validate(raw: object) -> Any:
        if not isinstance(raw, str):  # a value built in code, not read from a file
            return raw
        try:
            return parse(raw.strip())
        except (ValueError, InvalidOperation):
            raise PydanticCustomError(
                "table_cell", "expected {expected}", {"expected": expected}
            ) from None

    return BeforeValidator(validate)


Date = Annotated[dt.date, _cell(_date, "a date (YYYYMMDD or YYYY-MM-DD)")]
OptionalDate = Annotated[dt.date | None, _cell(_optional_date, "a date, '*' or nothing")]
Code = Annotated[str, _cell(_code, "a 5-character code")]
Number = Annotated[Decimal, _cell(_number, "a number")]
Whole = Annotated[int, _cell(int, "a whole number")]
Flag = Annotated[bool, _cell(_flag, "yes or no")]
Text = Annotated[str, _cell(_text, "a value")]
Indicator = Annotated[ModifierIndicator, _cell(ModifierIndicator, "0, 1 or 9")]
Relation = Annotated[AddonRelation, _cell(AddonRelation, "primary or never_with")]
Basis = Annotated[FeeBasis, _cell(FeeBasis, "amount or percent_of_medicare")]
Adjudication = Annotated[int, _cell(_adjudication, "text starting 1, 2 or 3")]
ALWAYS = dt.date(2000, 1, 1)
SinceAlways = Annotated[
    dt.date, _cell(lambda value: _optional_date(value) or ALWAYS, "a date or nothing")
]
Setting = Literal["facility", "non_facility", "any"]
PreventedBy = Literal["", "verification", "code_confirmation", "documentation", "coding_edits"]


class _Row(BaseModel):
    """One row of a table; field aliases are the file's column names."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", populate_by_name=True, str_strip_whitespace=True
    )


# ---------------------------------------------------------------- rows


class PtpEdit(_Row):
    column_1: Code = Field(alias="Column 1")
    column_2: Code = Field(alias="Column 2")
    effective: Date = Field(alias="Effective Date")
    deleted: OptionalDate = Field(None, alias="Deletion Date")
    modifier_indicator: Indicator = Field(alias="Modifier 0=not allowed 1=allowed 9=not applicable")
    rationale: str = Field("", alias="PTP Edit Rationale")
    illustrative: Flag = Field(False, alias="Illustrative")
    source: str = Field("CMS NCCI PTP practitioner table", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.ptp[(self.column_1, self.column_2)].append(self)


class Mue(_Row):
    code: Code = Field(alias="HCPCS/CPT Code")
    units: Whole = Field(alias="Practitioner Services MUE Values")
    # 1 claim line, 2 date of service (policy), 3 date of service (clinical)
    adjudication_indicator: Adjudication = Field(alias="MUE Adjudication Indicator")
    rationale: str = Field("", alias="MUE Rationale")
    # CMS's file has no effective date: its rows apply from the quarter it is imported for.
    effective: SinceAlways = Field(ALWAYS, alias="Effective Date")
    ends: OptionalDate = Field(None, alias="End Date")
    illustrative: Flag = Field(False, alias="Illustrative")
    source: str = Field("CMS MUE practitioner table", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.mue[self.code].append(self)


class AddonEdit(_Row):
    addon: Code = Field(alias="Add-on Code")
    other: Code = Field(alias="Other Code")
    relation: Relation = Field(alias="Relation")
    effective: Date = Field(alias="Effective Date")
    deleted: OptionalDate = Field(None, alias="Deletion Date")
    source: str = Field("", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.addons[self.addon].append(self)


class CodeValidity(_Row):
    code: Code = Field(alias="Code")
    effective: Date = Field(alias="Effective Date")
    deleted: OptionalDate = Field(None, alias="Deletion Date")
    descriptor: str = Field("", alias="Descriptor")
    source: str = Field("", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.validity[self.code].append(self)


class MedicareRvu(_Row):
    code: Code = Field(alias="HCPCS")
    effective: Date = Field(alias="Effective Date")
    ends: OptionalDate = Field(None, alias="End Date")
    work: Number = Field(alias="Work RVU")
    pe_non_facility: Number = Field(alias="Non-Facility PE RVU")
    pe_facility: Number = Field(alias="Facility PE RVU")
    malpractice: Number = Field(alias="MP RVU")
    conversion_factor: Number = Field(alias="Conversion Factor")
    illustrative: Flag = Field(False, alias="Illustrative")
    source: str = Field("", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.rvu[self.code].append(self)


class Gpci(_Row):
    locality: Text = Field(alias="Locality")
    effective: Date = Field(alias="Effective Date")
    work: Number = Field(alias="PW GPCI")
    pe: Number = Field(alias="PE GPCI")
    malpractice: Number = Field(alias="MP GPCI")
    illustrative: Flag = Field(False, alias="Illustrative")
    source: str = Field("", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.gpci[self.locality].append(self)


class FeeRow(_Row):
    payer_id: Text = Field(alias="Payer")
    plan_id: str = Field("", alias="Plan")  # "" = any plan of the payer
    code: Code = Field(alias="Code")
    modifier: str = Field("", alias="Modifier")  # "" = any
    setting: Annotated[Setting, BeforeValidator(lambda v: v or "any")] = Field(
        "any", alias="Setting"
    )
    # a credential, a group (mft_mhc, csw), or any
    provider_type: Annotated[str, BeforeValidator(lambda v: v or "any")] = Field(
        "any", alias="Provider Type"
    )
    effective: Date = Field(alias="Effective Date")
    ends: OptionalDate = Field(None, alias="End Date")
    basis: Basis = Field(alias="Basis")
    value: Number = Field(alias="Value")
    # Contracts pay the lesser of the billed charge and the contract amount unless they say not.
    lesser_of_billed: Annotated[bool, _cell(lambda v: _flag(v or "yes"), "yes or no")] = Field(
        True, alias="Lesser Of Billed"
    )
    # A yearly increase on each anniversary of the row's effective date, in percent.
    escalator: Annotated[Decimal, _cell(lambda v: _number(v or "0"), "a number")] = Field(
        Decimal(0), alias="Annual Escalator %"
    )
    term: str = Field("", alias="Contract Term")  # where the contract says it: "Exhibit B §2"
    illustrative: Flag = Field(False, alias="Illustrative")
    source: str = Field("", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.fees[(self.payer_id, self.code)].append(self)


class ProviderPercent(_Row):
    provider_type: Text = Field(alias="Provider Type")
    percent: Number = Field(alias="Percent")
    illustrative: Flag = Field(False, alias="Illustrative")
    source: str = Field("", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.provider_percent[self.provider_type] = self


class CarcCategory(_Row):
    carc: Text = Field(alias="CARC")
    category: Text = Field(alias="Category")
    # the lifecycle step that should have caught it; "" when no pre-submission check could
    prevented_by: PreventedBy = Field("", alias="Prevented By Step")
    meaning: str = Field("", alias="Meaning")
    stopped: OptionalDate = Field(None, alias="Stop Date")  # X12 retired the code
    source: str = Field("", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.carc[self.carc] = self


class RarcCode(_Row):
    """A remittance advice remark code and what it tells the biller (the X12/CMS RARC list)."""

    code: Text = Field(alias="Code")
    description: Text = Field(alias="Description")
    start: OptionalDate = Field(None, alias="Start Date")
    stopped: OptionalDate = Field(None, alias="Stop Date")
    source: str = Field("", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.rarc[self.code] = self


class MedicareLocality(_Row):
    """A Medicare payment locality (CMS LOCCO file): MAC-locality and the counties it covers."""

    locality: Text = Field(alias="Locality")
    effective: Date = Field(alias="Effective Date")
    state: str = Field("", alias="State")
    area: str = Field("", alias="Fee Schedule Area")
    counties: str = Field("", alias="Counties")
    source: str = Field("", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.localities[self.locality] = self


class PfsStatus(StrEnum):
    """The Medicare PFS status indicator of a code (PPRRVU; docs/sources.md §13)."""

    ACTIVE = "A"
    BUNDLED = "B"
    CARRIER_PRICED = "C"
    DELETED = "D"
    EXCLUDED = "E"
    DELETED_NO_GRACE = "F"
    NOT_VALID_GRACE = "G"
    DELETED_MODIFIER = "H"
    NOT_VALID = "I"
    ANESTHESIA = "J"
    MEASUREMENT = "M"
    NON_COVERED = "N"
    BUNDLED_EXCLUDED = "P"
    RESTRICTED = "R"
    INJECTION = "T"
    STATUTORY_EXCLUSION = "X"


class PfsStatusRow(_Row):
    code: Code = Field(alias="HCPCS")
    status: PfsStatus = Field(alias="Status")
    effective: Date = Field(alias="Effective Date")
    ends: OptionalDate = Field(None, alias="End Date")
    source: str = Field("", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.pfs_status[self.code].append(self)


class PayerTerms(_Row):
    """How long a payer allows to file a claim, and usually takes to pay one."""

    payer: str = Field(alias="Payer", min_length=1)
    filing_days: int = Field(alias="Timely Filing Days", ge=1, le=3650)
    remittance_days: int = Field(alias="Remittance Days", ge=1, le=365)
    illustrative: Flag = Field(False, alias="Illustrative")
    source: str = Field("", alias="Source")

    def file_in(self, tables: Tables) -> None:
        tables.terms[self.payer] = self


def _active(effective: dt.date, deleted: dt.date | None, on: dt.date) -> bool:
    return effective <= on and (deleted is None or on <= deleted)


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
    terms: dict[str, PayerTerms] = field(default_factory=dict)  # by payer id; "_default"
    pfs_status: dict[str, list[PfsStatusRow]] = field(default_factory=lambda: defaultdict(list))
    rarc: dict[str, RarcCode] = field(default_factory=dict)
    localities: dict[str, MedicareLocality] = field(default_factory=dict)

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
        rows = [m for m in self.mue.get(code, ()) if _active(m.effective, m.ends, on)]
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

    def pfs_status_of(self, code: str, on: dt.date) -> PfsStatusRow | None:
        """The code's Medicare PFS status on a date, when the status table lists it."""
        return next(
            (r for r in self.pfs_status.get(code, ()) if _active(r.effective, r.ends, on)), None
        )

    def filing_days(self) -> dict[str, int]:
        """Each payer's timely-filing window in days ("_default" for the others)."""
        return {payer: terms.filing_days for payer, terms in self.terms.items()}

    def remittance_days(self) -> dict[str, int]:
        """Days each payer usually takes to remit ("_default" for the others)."""
        return {payer: terms.remittance_days for payer, terms in self.terms.items()}

    def fee_rows(self, payer_id: str, code: str, on: dt.date) -> list[FeeRow]:
        return [f for f in self.fees.get((payer_id, code), ()) if _active(f.effective, f.ends, on)]


# ---------------------------------------------------------------- reading

Row = (
    PtpEdit
    | Mue
    | AddonEdit
    | CodeValidity
    | MedicareRvu
    | Gpci
    | FeeRow
    | ProviderPercent
    | CarcCategory
    | PayerTerms
    | PfsStatusRow
    | RarcCode
    | MedicareLocality
)

FILES: dict[str, type[Row]] = {
    "ncci_ptp_practitioner.csv": PtpEdit,
    "mue_practitioner.csv": Mue,
    "addon_codes.csv": AddonEdit,
    "code_validity.csv": CodeValidity,
    "medicare_pfs_rvu.csv": MedicareRvu,
    "medicare_gpci.csv": Gpci,
    "fee_schedule.csv": FeeRow,
    "medicare_provider_percent.csv": ProviderPercent,
    "carc_categories.csv": CarcCategory,
    "payer_terms.csv": PayerTerms,
    "medicare_pfs_status.csv": PfsStatusRow,
    "rarc_codes.csv": RarcCode,
    "medicare_localities.csv": MedicareLocality,
}


def load_tables(folder: Path, problems: list[RuleProblem]) -> Tables:
    """Read every table in `folder`; a bad row is left out and its problems appended, never raised here."""
    tables = Tables()
    for name, model in FILES.items():
        path = folder / name
        if not path.exists():
            problems.append(RuleProblem(str(path), None, None, "required table is missing"))
            continue
        for line, cells in _rows(path):
            try:
                model.model_validate(cells).file_in(tables)
            except ValidationError as error:
                problems.extend(
                    validation_problems(f"{name}:{line}", error, describe=_cell_problem)
                )
    return tables


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, cells by column) of a CSV table; comment lines (#) are skipped."""
    with path.open(newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        for number, row in enumerate(csv.DictReader(lines), start=2):
            yield number, {k.strip(): (v or "").strip() for k, v in row.items() if k}


def _cell_problem(item: ErrorDetails) -> str:
    if item["type"] == "missing":
        return "the column is missing or the row is short"
    message = item["msg"].removeprefix("Input should be ").removeprefix("expected ")
    return f"expected {message}; found {item['input']!r}"
