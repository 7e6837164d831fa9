"""A payer's contract fee schedule, from the CSV a practice keeps, into fee_schedule.csv.

Practices keep their contracts' rates in spreadsheets of their own making: a code column,
a rate or a percent of Medicare, perhaps a modifier, a provider tier, a place of service,
dates and the clause. The columns are found by their usual names; every row becomes a
fee_schedule.csv row validated as the rule set will read it, or is refused with its line
and the reason. Rows keep their history: a new rate starts on its date and the one it
replaces ends the day before.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import ValidationError

from rules.codes import Credential
from rules.fees import PROVIDER_GROUPS, setting_of
from rules.outcomes import Step
from rules.tables import FeeRow
from tasks.reference.layouts import LayoutError, Read, Refused
from tasks.reference.update import (
    Change,
    ChangeKind,
    Plan,
    TableFile,
    covers,
    day,
    decoded,
    digest,
    period_end,
)

FEE_TABLE = "fee_schedule.csv"
# What a practice's spreadsheet calls each column, letters and digits only, upper case.
_NAMES: dict[str, tuple[str, ...]] = {
    "code": (
        "CPT",
        "CPTCODE",
        "HCPCS",
        "HCPCSCODE",
        "CODE",
        "PROCEDURECODE",
        "CPTHCPCS",
        "SERVICECODE",
    ),
    "modifier": ("MODIFIER", "MOD", "MODIFIERS"),
    "rate": (
        "RATE",
        "FEE",
        "ALLOWED",
        "ALLOWEDAMOUNT",
        "CONTRACTRATE",
        "AMOUNT",
        "FEESCHEDULEAMOUNT",
        "REIMBURSEMENT",
        "CONTRACTEDRATE",
    ),
    "percent": (
        "OFMEDICARE",
        "PERCENTOFMEDICARE",
        "MEDICAREPERCENT",
        "PCTOFMEDICARE",
        "PERCENTMEDICARE",
    ),
    "effective": ("EFFECTIVE", "EFFECTIVEDATE", "STARTDATE", "EFFECTIVEFROM"),
    "end": ("ENDDATE", "TERMINATIONDATE", "TERMDATE", "EXPIRATIONDATE", "EFFECTIVETO"),
    "provider_type": ("PROVIDERTYPE", "TIER", "PROVIDERTIER", "LICENSE", "CREDENTIAL", "LICENSURE"),
    "setting": ("SETTING", "FACILITYNONFACILITY", "SITEOFSERVICE", "SITE", "PLACEOFSERVICE", "POS"),
    "plan": ("PLAN", "PRODUCT", "PLANID"),
    "term": ("TERM", "CONTRACTTERM", "SECTION", "EXHIBIT", "CLAUSE"),
    "escalator": ("ESCALATOR", "ANNUALESCALATOR", "ANNUALINCREASE", "ESCALATORPERCENT"),
    "lesser": ("LESSEROF", "LESSEROFBILLED", "LESSEROFBILLEDCHARGES"),
}
_SETTINGS = {
    "": "any", "ANY": "any", "ALL": "any", "BOTH": "any",
    "FACILITY": "facility", "FAC": "facility",
    "NONFACILITY": "non_facility", "NONFAC": "non_facility", "OFFICE": "non_facility",
}  # fmt: skip
_TYPES = {
    **{re.sub(r"[^A-Z0-9]", "", name.upper()): name for name in PROVIDER_GROUPS},
    **{c.value.upper(): c.value for c in Credential},
    "": "any", "ANY": "any", "ALL": "any",
}  # fmt: skip
FEE_COLUMNS = [
    "Payer", "Plan", "Code", "Modifier", "Setting", "Provider Type", "Effective Date",
    "End Date", "Basis", "Value", "Lesser Of Billed", "Annual Escalator %", "Contract Term",
    "Illustrative", "Source",
]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ContractFile:
    payer_id: str
    file_name: str
    effective: dt.date  # for rows that give no date of their own
    plan_id: str = ""
    term: str = ""  # for rows that name no clause
    amendment: bool = False  # only the rows given change; the others stay in force


def _norm(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def _header(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    for number, row in enumerate(rows[:15]):
        names = [_norm(c) for c in row]
        found = {
            field: names.index(name)
            for field, options in _NAMES.items()
            for name in options
            if name in names
        }
        if "code" in found and ("rate" in found or "percent" in found):
            return number, found
    raise LayoutError(
        "no header row with a code column (CPT, HCPCS, Code) and a rate (Rate, Fee, Allowed) "
        "or a percent of Medicare column in its first 15 lines"
    )


def _money(value: str) -> str:
    cleaned = value.replace("$", "").replace(",", "").replace("%", "").strip()
    try:
        Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(value) from None
    return cleaned


def _day(value: str) -> str:
    value = value.strip()
    for pattern in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y%m%d"):
        try:
            return dt.datetime.strptime(value, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(value)


class _Bad(ValueError):
    pass


def _cell(cells: list[str], at: dict[str, int], field: str) -> str:
    index = at.get(field)
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _row(
    cells: list[str], at: dict[str, int], width: int, contract: ContractFile
) -> dict[str, str]:
    """The fee_schedule.csv row for one line of the practice's file; _Bad says why not."""
    if any(c.strip() for c in cells[width:]):
        raise _Bad("the row has more cells than the header: a comma in an amount not in quotes?")
    rate, percent = _cell(cells, at, "rate"), _cell(cells, at, "percent")
    if bool(rate) == bool(percent):
        raise _Bad("give a rate or a percent of Medicare, not " + ("both" if rate else "neither"))
    if "%" in rate:
        raise _Bad(
            f"rate {rate!r} is a percent: put percents of Medicare in a % of Medicare column"
        )
    if "$" in percent:
        raise _Bad(f"percent of Medicare {percent!r} is a dollar amount: put it in a rate column")
    place = _cell(cells, at, "setting")
    # a place-of-service code (11, 02) is priced in its setting
    setting = setting_of(place.zfill(2)) if place.isdigit() else _SETTINGS.get(_norm(place))
    if setting is None:
        raise _Bad(f"setting {_cell(cells, at, 'setting')!r} is not facility, non-facility or any")
    kind = _TYPES.get(_norm(_cell(cells, at, "provider_type")))
    if kind is None:
        known = ", ".join([*PROVIDER_GROUPS, *(c.value for c in Credential)])
        raise _Bad(
            f"provider type {_cell(cells, at, 'provider_type')!r} is not one of {known} or any"
        )
    try:
        value = _money(rate or percent)
        start = (
            _day(_cell(cells, at, "effective"))
            if _cell(cells, at, "effective")
            else contract.effective.isoformat()
        )
        end = _day(_cell(cells, at, "end")) if _cell(cells, at, "end") else ""
        escalator = _money(_cell(cells, at, "escalator")) if _cell(cells, at, "escalator") else "0"
    except ValueError as error:
        raise _Bad(f"{error.args[0]!r} is not a number or a date where one belongs") from None
    return {
        "Payer": contract.payer_id,
        "Plan": _cell(cells, at, "plan") or contract.plan_id,
        "Code": _cell(cells, at, "code").upper(),
        "Modifier": _cell(cells, at, "modifier").upper(),
        "Setting": setting,
        "Provider Type": kind,
        "Effective Date": start,
        "End Date": end,
        "Basis": "amount" if rate else "percent_of_medicare",
        "Value": value,
        "Lesser Of Billed": _cell(cells, at, "lesser") or "yes",
        "Annual Escalator %": escalator,
        "Contract Term": _cell(cells, at, "term") or contract.term,
        "Illustrative": "no",
        "Source": f"{contract.payer_id} contract, {contract.file_name}",
    }


def read_contract(text: str, contract: ContractFile) -> Read[dict[str, str]]:
    """Every row of the practice's file as a validated fee_schedule.csv row, or refused."""
    reader = csv.reader(io.StringIO(text))
    rows, lines = [], []
    for row in reader:
        rows.append(row)
        lines.append(reader.line_num)
    top, at = _header(rows)
    read: Read[dict[str, str]] = Read()
    for index in range(top + 1, len(rows)):
        cells = rows[index]
        if not any(c.strip() for c in cells):
            continue
        try:
            fee = _row(cells, at, len(rows[top]), contract)
            FeeRow.model_validate(fee)
        except _Bad as error:
            read.refused.append(Refused(lines[index], str(error)))
            continue
        except ValidationError as error:
            first = error.errors()[0]
            column = str(first["loc"][0]) if first["loc"] else "a column"
            read.refused.append(
                Refused(
                    lines[index],
                    f"{column} {first['input']!r}: {first['msg'].removeprefix('Value error, ')}",
                )
            )
            continue
        read.records.append((lines[index], fee))
    return read


def _key(row: dict[str, str]) -> tuple[str, ...]:
    return (
        row.get("Plan", ""),
        row["Code"],
        row.get("Modifier", ""),
        row.get("Setting") or "any",
        row.get("Provider Type") or "any",
    )


def _label(key: tuple[str, ...]) -> str:
    plan, code, modifier, setting, kind = key
    parts = [code + (f"-{modifier}" if modifier else "")]
    parts += [f"plan {plan}"] if plan else []
    parts += [setting] if setting != "any" else []
    parts += [kind] if kind != "any" else []
    return " ".join(parts)


_TERMS = ("Basis", "Value", "Lesser Of Billed", "Annual Escalator %", "Contract Term")


def _terms(row: dict[str, str]) -> tuple[str, ...]:
    def same(column: str) -> str:
        value = row.get(column, "").strip()
        if column in ("Value", "Annual Escalator %"):
            return str(Decimal(value or "0").normalize())
        if column == "Lesser Of Billed":
            return "no" if value.lower() in ("no", "n", "false", "0") else "yes"
        return value

    return tuple(same(c) for c in _TERMS)


def plan_contract(
    data: bytes, contract: ContractFile, folder: Path
) -> tuple[Plan, Read[dict[str, str]]]:
    """What importing the practice's contract file would change in fee_schedule.csv."""
    text = decoded(
        data, zipped="this is an Excel workbook or a zip: save the sheet as CSV and import that"
    )
    read = read_contract(text, contract)
    table = TableFile.read(folder, FEE_TABLE, header=FEE_COLUMNS)
    for column in ("Lesser Of Billed", "Annual Escalator %", "Contract Term"):
        table.with_column(column, after="Value")
    plan = Plan("contract", contract.file_name, digest(data), contract.effective)
    plan.payer_id = contract.payer_id

    def mine(r: dict[str, str]) -> bool:
        # --plan speaks for that plan's rows only: the payer's all-plan rates stay.
        return r["Payer"] == contract.payer_id and (
            not contract.plan_id or r.get("Plan", "") == contract.plan_id
        )

    given: set[tuple[str, ...]] = set()
    for _, row in read.records:
        key = _key(row)
        given.add(key)
        on = dt.date.fromisoformat(row["Effective Date"])
        current = next(
            (r for r in table.rows if mine(r) and _key(r) == key and covers(r, on)), None
        )
        if (
            current is not None
            and _terms(current) == _terms(row)
            and current.get("Illustrative", "").lower() not in ("yes", "y")
        ):
            plan.unchanged += 1
            continue
        _replace(table.rows, key, row, on, mine)
        what = _what(current, row)
        plan.changes.append(
            Change(ChangeKind.ADDED if current is None else ChangeKind.CHANGED, _label(key), what)
        )
        plan.codes.add(row["Code"])
        plan.since = min(plan.since or on, on)
    if read.refused and not contract.amendment:
        plan.notes.append(
            f"{len(read.refused)} row(s) refused: no rate the file leaves out was ended; "
            "correct those rows and import the file again"
        )
    if not contract.amendment and not read.refused:
        for row in [
            r
            for r in table.rows
            if mine(r) and _key(r) not in given and covers(r, contract.effective)
        ]:
            _end(row, contract.effective, table.rows)
            plan.changes.append(
                Change(
                    ChangeKind.REMOVED,
                    _label(_key(row)),
                    "not in the contract file: ends "
                    + (contract.effective - dt.timedelta(days=1)).isoformat(),
                )
            )
            plan.codes.add(row["Code"])
    plan.tables.append(table)
    plan.steps = [Step.CODING_EDITS, Step.POST_PAYMENT_AUDIT]
    plan.since = plan.since or contract.effective
    return plan, read


def _what(current: dict[str, str] | None, row: dict[str, str]) -> str:
    def rate(r: dict[str, str]) -> str:
        value = r["Value"]
        text = f"{value}% of Medicare" if r["Basis"] == "percent_of_medicare" else f"${value}"
        if Decimal(r.get("Annual Escalator %") or "0"):
            text += f" +{r['Annual Escalator %']}%/yr"
        return text

    term = f" ({row['Contract Term']})" if row.get("Contract Term") else ""
    if current is None:
        return f"{rate(row)} from {row['Effective Date']}{term}"
    if rate(current) == rate(row):
        return f"{rate(row)} as before, now from {row['Source']}{term}"
    return f"{rate(current)} → {rate(row)} from {row['Effective Date']}{term}"


def _end(row: dict[str, str], on: dt.date, rows: list[dict[str, str]]) -> None:
    start = day(row.get("Effective Date", ""))
    if start is not None and start >= on:
        rows.remove(row)
    else:
        row["End Date"] = (on - dt.timedelta(days=1)).isoformat()


def _replace(
    rows: list[dict[str, str]],
    key: tuple[str, ...],
    new: dict[str, str],
    on: dt.date,
    mine: Callable[[dict[str, str]], bool],
) -> None:
    """`new` holds from `on`: the rate in force then ends the day before, one starting that
    day goes, and `new` ends where the file says or before the next dated rate starts."""
    same = [r for r in rows if mine(r) and _key(r) == key]
    end = period_end(same, on)
    given = day(new["End Date"])
    if end and (given is None or given > dt.date.fromisoformat(end)):
        new["End Date"] = end
    for row in same:
        if covers(row, on) or day(row.get("Effective Date", "")) == on:
            _end(row, on, rows)
    at = (
        max((i for i, r in enumerate(rows) if r["Payer"] == new["Payer"]), default=len(rows) - 1)
        + 1
    )
    rows.insert(at, new)
