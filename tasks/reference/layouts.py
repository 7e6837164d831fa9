"""The files CMS and X12 publish, read in their own layouts (docs/sources.md §12).

Each reader takes the file's text and returns its records, the rows it refused (with the
line and the reason, in a biller's words) and the rows it skipped as notes. A file that is
not the layout asked for at all (no header where CMS puts it) raises LayoutError, naming
what was looked for. Every value is read as text first: codes have leading zeros, and
`09` and `XXX` are codes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Generic, TypeVar

from rules.tables import PfsStatus

CODE = re.compile(r"[A-Z0-9]{5}")
R = TypeVar("R")


class TableKind(StrEnum):
    """A reference file ClaimGuard imports."""

    PPRRVU = "pprrvu"  # the PFS relative value file: status, RVUs, conversion factor
    GPCI = "gpci"  # geographic practice cost indices by locality
    LOCALITY = "locality"  # the locality file (LOCCO): which counties each locality covers
    NCCI_PTP = "ncci-ptp"  # NCCI practitioner procedure-to-procedure edits
    MUE = "mue"  # practitioner medically unlikely edits
    CARC = "carc"  # claim adjustment reason codes
    RARC = "rarc"  # remittance advice remark codes


class LayoutError(Exception):
    """The file is not in the layout its kind is published in."""


@dataclass(frozen=True)
class Refused:
    line: int
    reason: str


@dataclass
class Read(Generic[R]):
    """What a reader found: records, refused rows, and rows that are notes (a footer)."""

    records: list[tuple[int, R]] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    notes: int = 0

    @property
    def rows(self) -> int:
        return len(self.records) + len(self.refused) + self.notes


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class RvuRecord:
    code: str
    status: PfsStatus
    not_used_for_payment: bool  # '+' in NOT USED FOR MEDICARE PAYMENT
    work: Decimal
    pe_non_facility: Decimal
    pe_facility: Decimal
    malpractice: Decimal
    conversion_factor: Decimal


@dataclass(frozen=True, kw_only=True)
class _Locality:
    """A Medicare payment locality: the contractor (MAC) and its locality number."""

    mac: str  # 5 digits
    locality: str  # 2 digits
    state: str

    @property
    def key(self) -> str:
        return f"{self.mac}-{self.locality}"


@dataclass(frozen=True, kw_only=True)
class GpciRecord(_Locality):
    name: str
    work: Decimal
    pe: Decimal
    malpractice: Decimal


@dataclass(frozen=True, kw_only=True)
class LocalityRecord(_Locality):
    area: str
    counties: str


@dataclass(frozen=True)
class PtpRecord:
    column_1: str
    column_2: str
    prior_1996: bool
    effective: dt.date
    deleted: dt.date | None
    modifier_indicator: str  # 0, 1 or 9
    rationale: str


@dataclass(frozen=True)
class MueRecord:
    code: str
    units: int
    adjudication: str  # as CMS writes it: "2 Date of Service Edit: Policy"
    rationale: str


@dataclass(frozen=True)
class CodeListRecord:
    code: str
    description: str
    start: dt.date | None
    stop: dt.date | None


# ---------------------------------------------------------------- cells


class BadCell(ValueError):
    """A cell that is not what its column holds; the message names the column."""


def _norm(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def _code(column: str, value: str) -> str:
    value = value.strip().upper()
    if not CODE.fullmatch(value):
        raise BadCell(f"{column} {value!r} is not a 5-character code")
    return value


def _decimal(column: str, value: str) -> Decimal:
    try:
        number = Decimal(value.strip() or "0")
    except InvalidOperation:
        raise BadCell(f"{column} {value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise BadCell(f"{column} {value!r} is not a number of zero or more")
    return number


def _date(column: str, value: str) -> dt.date:
    value = value.strip()
    for pattern in ("%Y%m%d", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise BadCell(f"{column} {value!r} is not a date (YYYYMMDD, YYYY-MM-DD or MM/DD/YYYY)")


def _optional_date(column: str, value: str) -> dt.date | None:
    return None if value.strip() in ("", "*") else _date(column, value)


def _status(value: str) -> PfsStatus:
    try:
        return PfsStatus(value.strip().upper())
    except ValueError:
        raise BadCell(f"STATUS CODE {value!r} is not a PFS status indicator") from None


def _cells(text: str, delimiter: str = ",") -> tuple[list[list[str]], list[int]]:
    """The file's records, and the line each ends on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows, lines = [], []
    for row in reader:
        rows.append([c.strip() for c in row])
        lines.append(reader.line_num)
    return rows, lines


def _columns(
    header: Sequence[str], wanted: dict[str, Callable[[str], bool]], what: str
) -> dict[str, int]:
    """Where each wanted column is, by a test on its normalised header text."""
    found: dict[str, int] = {}
    for name, test in wanted.items():
        index = next((i for i, text in enumerate(header) if test(_norm(text))), None)
        if index is not None:
            found[name] = index
    missing = [name for name in wanted if name not in found]
    if missing:
        raise LayoutError(f"{what}: no column {', '.join(missing)} in its header")
    return found


def _collect(
    read: Read[R], numbered: Iterable[tuple[int, list[str]]], parse: Callable[[list[str]], R | None]
) -> Read[R]:
    for line, cells in numbered:
        if not any(cells):
            continue
        try:
            record = parse(cells)
        except BadCell as error:
            read.refused.append(Refused(line, str(error)))
            continue
        except IndexError:
            read.refused.append(Refused(line, "the row is short: a column is missing"))
            continue
        if record is None:
            read.notes += 1
        else:
            read.records.append((line, record))
    return read


# ---------------------------------------------------------------- PPRRVU


_PPRRVU = {
    "HCPCS": lambda h: h == "HCPCS",
    "MOD": lambda h: h == "MOD",
    "STATUS CODE": lambda h: h == "STATUSCODE",
    "NOT USED FOR MEDICARE PAYMENT": lambda h: h == "NOTUSEDFORMEDICAREPAYMENT",
    "WORK RVU": lambda h: h == "WORKRVU",
    "NON-FAC PE RVU": lambda h: h == "NONFACPERVU",
    "FACILITY PE RVU": lambda h: h == "FACILITYPERVU",
    "MP RVU": lambda h: h == "MPRVU",
    "CONV FACTOR": lambda h: h == "CONVFACTOR",
}
_HEADER_DEPTH = 5  # the PPRRVU header is 5 stacked rows, its words bottom-aligned


def read_pprrvu(text: str) -> Read[RvuRecord]:
    """PPRRVUyy_*.csv: a preamble, a 5-row stacked header, then one row per HCPCS and MOD.
    Rows with a modifier (26, TC, 53) are professional/technical splits: skipped as notes,
    since ClaimGuard prices the global service."""
    rows, lines = _cells(text)
    start = next(
        (i for i, r in enumerate(rows) if len(r) >= 25 and CODE.fullmatch(r[0]) and len(r[3]) == 1),
        None,
    )
    if start is None or start < 1:
        raise LayoutError(
            "PPRRVU: no data row (a 5-character HCPCS code, then MOD, DESCRIPTION, STATUS CODE…) found"
        )
    width = max(len(r) for r in rows[max(0, start - _HEADER_DEPTH) : start])
    stacked = rows[max(0, start - _HEADER_DEPTH) : start]
    header = [" ".join(r[i] for r in stacked if i < len(r) and r[i]) for i in range(width)]
    at = _columns(header, _PPRRVU, "PPRRVU")

    def parse(cells: list[str]) -> RvuRecord | None:
        if cells[at["MOD"]]:
            return None
        return RvuRecord(
            code=_code("HCPCS", cells[at["HCPCS"]]),
            status=_status(cells[at["STATUS CODE"]]),
            not_used_for_payment=cells[at["NOT USED FOR MEDICARE PAYMENT"]] == "+",
            work=_decimal("WORK RVU", cells[at["WORK RVU"]]),
            pe_non_facility=_decimal("NON-FAC PE RVU", cells[at["NON-FAC PE RVU"]]),
            pe_facility=_decimal("FACILITY PE RVU", cells[at["FACILITY PE RVU"]]),
            malpractice=_decimal("MP RVU", cells[at["MP RVU"]]),
            conversion_factor=_decimal("CONV FACTOR", cells[at["CONV FACTOR"]]),
        )

    return _collect(Read(), ((lines[i], r) for i, r in enumerate(rows) if i >= start), parse)


# ---------------------------------------------------------------- GPCI and localities


def _header_row(rows: list[list[str]], tests: Sequence[Callable[[str], bool]], what: str) -> int:
    for i, row in enumerate(rows[:30]):
        names = [_norm(c) for c in row]
        if all(any(test(n) for n in names) for test in tests):
            return i
    raise LayoutError(f"{what}: no header row in its first 30 lines")


def _mac(value: str) -> str | None:
    value = value.strip()
    return value.zfill(5) if value.isdigit() else None


def read_gpci(text: str) -> Read[GpciRecord]:
    """GPCIyyyy.csv: a title, then MAC, State, Locality Number, Locality Name and the three
    GPCIs; footer notes (MAC assignments, floors) follow the localities."""
    rows, lines = _cells(text)
    top = _header_row(rows, [lambda n: n == "LOCALITYNUMBER", lambda n: "PWGPCI" in n], "GPCI")
    at = _columns(
        rows[top],
        {
            "MAC": lambda h: h.startswith("MEDICAREADMINISTRATIVECONTRACTOR") or h == "MAC",
            "State": lambda h: h == "STATE",
            "Locality Number": lambda h: h == "LOCALITYNUMBER",
            "Locality Name": lambda h: h == "LOCALITYNAME",
            "PW GPCI": lambda h: "PWGPCI" in h,
            "PE GPCI": lambda h: "PEGPCI" in h,
            "MP GPCI": lambda h: "MPGPCI" in h,
        },
        "GPCI",
    )

    def parse(cells: list[str]) -> GpciRecord | None:
        mac = _mac(cells[at["MAC"]])
        if mac is None:
            return None  # a footer note
        locality = cells[at["Locality Number"]].strip()
        if not locality.isdigit():
            raise BadCell(f"Locality Number {locality!r} is not a number")
        return GpciRecord(
            mac=mac,
            locality=locality.zfill(2),
            state=cells[at["State"]],
            name=cells[at["Locality Name"]].rstrip("*").strip(),
            work=_decimal("PW GPCI", cells[at["PW GPCI"]]),
            pe=_decimal("PE GPCI", cells[at["PE GPCI"]]),
            malpractice=_decimal("MP GPCI", cells[at["MP GPCI"]]),
        )

    return _collect(Read(), ((lines[i], r) for i, r in enumerate(rows) if i > top), parse)


def read_localities(text: str) -> Read[LocalityRecord]:
    """yyLOCCO.csv: two preamble rows, then contractor, locality, state (on the first row of
    each state only), fee schedule area and counties."""
    rows, lines = _cells(text)
    top = _header_row(rows, [lambda n: n == "LOCALITYNUMBER", lambda n: n == "COUNTIES"], "LOCCO")
    at = _columns(
        rows[top],
        {
            # CMS spells it "Adminstrative"; older files say "Carrier Number".
            "Contractor": lambda h: h.startswith(("MEDICAREADMIN", "CARRIER")),
            "Locality Number": lambda h: h == "LOCALITYNUMBER",
            "State": lambda h: h == "STATE",
            "Fee Schedule Area": lambda h: h == "FEESCHEDULEAREA",
            "Counties": lambda h: h == "COUNTIES",
        },
        "LOCCO",
    )
    state = ""

    def parse(cells: list[str]) -> LocalityRecord | None:
        nonlocal state
        mac = _mac(cells[at["Contractor"]])
        if mac is None:
            return None
        state = cells[at["State"]] or state
        locality = cells[at["Locality Number"]].strip()
        if not locality.isdigit():
            raise BadCell(f"Locality Number {locality!r} is not a number")
        return LocalityRecord(
            mac=mac,
            locality=locality.zfill(2),
            state=state,
            area=cells[at["Fee Schedule Area"]].rstrip("*").strip(),
            counties=cells[at["Counties"]],
        )

    return _collect(Read(), ((lines[i], r) for i, r in enumerate(rows) if i > top), parse)


# ---------------------------------------------------------------- NCCI


def read_ptp(text: str) -> Read[PtpRecord]:
    """ccipra-v*.txt: tab-delimited; a copyright line, a title, a 4-line header, then
    Column 1, Column 2, *, Effective Date, Deletion Date, Modifier, PTP Edit Rationale."""
    rows, lines = _cells(text, delimiter="\t")
    start = next(
        (
            i
            for i, r in enumerate(rows)
            if len(r) >= 6 and CODE.fullmatch(r[0]) and CODE.fullmatch(r[1])
        ),
        None,
    )
    preamble = _norm(" ".join(" ".join(r) for r in rows[: start or 0]))
    if start is None or "COLUMN1" not in preamble or "MODIFIER" not in preamble:
        raise LayoutError(
            "NCCI PTP: expected the tab-delimited .txt with a 'Column 1 / Column 2' header "
            "and rows of two 5-character codes"
        )

    def parse(cells: list[str]) -> PtpRecord:
        indicator = cells[5].strip()
        if indicator not in ("0", "1", "9"):
            raise BadCell(f"Modifier indicator {indicator!r} is not 0, 1 or 9")
        return PtpRecord(
            column_1=_code("Column 1", cells[0]),
            column_2=_code("Column 2", cells[1]),
            prior_1996=cells[2].strip() == "*",
            effective=_date("Effective Date", cells[3]),
            deleted=_optional_date("Deletion Date", cells[4]),
            modifier_indicator=indicator,
            rationale=cells[6].strip() if len(cells) > 6 else "",
        )

    return _collect(Read(), ((lines[i], r) for i, r in enumerate(rows) if i >= start), parse)


def read_mue(text: str) -> Read[MueRecord]:
    """MCR_MUE_PractitionerServices_Eff_*.csv: a quoted AMA notice, a header whose first
    cell is 'HCPCS/⏎CPT Code', then code, MUE value, MAI ('2 Date of Service Edit: Policy')
    and rationale."""
    rows, lines = _cells(text)
    top = next((i for i, r in enumerate(rows[:30]) if r and _norm(r[0]) == "HCPCSCPTCODE"), None)
    if top is None:
        raise LayoutError("MUE: no header starting 'HCPCS/CPT Code' in its first 30 records")
    at = _columns(
        rows[top],
        {
            "MUE Values": lambda h: h.endswith("MUEVALUES"),
            "MUE Adjudication Indicator": lambda h: h == "MUEADJUDICATIONINDICATOR",
            "MUE Rationale": lambda h: h == "MUERATIONALE",
        },
        "MUE",
    )

    def parse(cells: list[str]) -> MueRecord:
        units = cells[at["MUE Values"]].strip()
        if not units.isdigit():
            raise BadCell(f"MUE value {units!r} is not a whole number")
        mai = cells[at["MUE Adjudication Indicator"]].strip()
        if mai[:1] not in ("1", "2", "3"):
            raise BadCell(f"MUE Adjudication Indicator {mai!r} does not start 1, 2 or 3")
        return MueRecord(
            code=_code("HCPCS/CPT Code", cells[0]),
            units=int(units),
            adjudication=mai,
            rationale=cells[at["MUE Rationale"]].strip(),
        )

    return _collect(Read(), ((lines[i], r) for i, r in enumerate(rows) if i > top), parse)


# ---------------------------------------------------------------- CARC and RARC


def read_code_list(text: str, *, what: str) -> Read[CodeListRecord]:
    """A code list as X12 shows it, saved as CSV: Code, Description, and the Start and Stop
    dates (Stop blank while the code is in use). Extra columns are ignored."""
    rows, lines = _cells(text)
    top = _header_row(rows, [lambda n: n == "CODE", lambda n: n == "DESCRIPTION"], what)
    at = _columns(
        rows[top],
        {"Code": lambda h: h == "CODE", "Description": lambda h: h == "DESCRIPTION"},
        what,
    )
    header = [_norm(c) for c in rows[top]]
    start = next((i for i, h in enumerate(header) if h.startswith("START")), None)
    stop = next((i for i, h in enumerate(header) if h.startswith(("STOP", "DEACTIVAT"))), None)
    pattern = re.compile(r"[A-Z0-9]{1,5}")

    def parse(cells: list[str]) -> CodeListRecord:
        code = cells[at["Code"]].strip().upper()
        if not pattern.fullmatch(code):
            raise BadCell(f"Code {code!r} is not a code of 1 to 5 letters and digits")
        description = cells[at["Description"]].strip()
        if not description:
            raise BadCell(f"code {code} has no description")
        return CodeListRecord(
            code=code,
            description=description,
            start=_optional_date("Start", cells[start])
            if start is not None and start < len(cells)
            else None,
            stop=_optional_date("Stop", cells[stop])
            if stop is not None and stop < len(cells)
            else None,
        )

    return _collect(Read(), ((lines[i], r) for i, r in enumerate(rows) if i > top), parse)
