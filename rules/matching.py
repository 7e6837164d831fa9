"""Match a payer's answer to what was billed: each CLP to its claim, each SVC to its line.

Payers change what they echo back. Claims are matched by control number (CLP01 = CLM01),
then by the same number with punctuation, case or leading zeros changed, then by a
control number the payer truncated, then by the patient's member id, service date and
charge. Lines are matched by line control number (REF*6R), then by code (SVC06, the code
billed, when the payer changed it), date, units and charge with modifiers in any order or
dropped, then by code and date alone, then by date and charge (a recoded line). A second
SVC for a line already matched, of the same code and date, is a split payment of that line.
What cannot be matched is returned with the reason, never dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

MIN_TRUNCATED = 6  # a shorter echo is too ambiguous to call truncation


@dataclass(frozen=True, slots=True)
class ClaimCandidate:
    claim_id: str
    member_id: str | None
    service_date: dt.date
    total_charge: Decimal


@dataclass(frozen=True, slots=True)
class ClaimMatch:
    claim_id: str | None
    method: str
    reason: str = ""


def normalize(control: str) -> str:
    """Upper case, letters and digits only, leading zeros dropped."""
    return re.sub(r"[^A-Z0-9]", "", control.upper()).lstrip("0")


def match_claim(
    control: str,
    candidates: Sequence[ClaimCandidate],
    *,
    member_id: str | None,
    service_date: dt.date | None,
    charge: Decimal,
) -> ClaimMatch:
    """The claim a CLP answers, chosen among `candidates` (ids near it, or the member's claims)."""
    exact = [c for c in candidates if c.claim_id == control]
    if exact:
        return ClaimMatch(exact[0].claim_id, "control_number")
    wanted = normalize(control)
    steps: list[tuple[str, Callable[[ClaimCandidate], bool]]] = [
        ("normalized_control_number", lambda c: bool(wanted) and normalize(c.claim_id) == wanted),
        (
            "truncated_control_number",
            lambda c: len(wanted) >= MIN_TRUNCATED and normalize(c.claim_id).startswith(wanted),
        ),
        (
            "member_date_charge",
            lambda c: (
                member_id is not None
                and c.member_id == member_id
                and (service_date is None or c.service_date == service_date)
                and c.total_charge == charge
            ),
        ),
    ]
    for method, test in steps:
        found = {c.claim_id: c for c in candidates if test(c)}
        if len(found) > 1:
            # Several fit the echoed number (a truncated one often does): the date of
            # service and the charge decide, as a person posting by hand would.
            found = {
                cid: c
                for cid, c in found.items()
                if (service_date is None or c.service_date == service_date)
                and c.total_charge == charge
            }
            method += "+date_charge"
        if len(found) == 1:
            return ClaimMatch(next(iter(found)), method)
        if len(found) > 1:
            return ClaimMatch(None, method, f"{len(found)} claims fit equally ({method})")
    return ClaimMatch(
        None,
        "none",
        "no claim with this control number, or of this member on this date for this charge",
    )


@dataclass(frozen=True, slots=True)
class BilledLine:
    line_number: int
    code: str
    modifiers: tuple[str, ...]
    units: Decimal
    charge: Decimal
    service_date: dt.date
    control_number: str | None = None


@dataclass(frozen=True, slots=True)
class PaidLine:
    position: int
    code: str
    original_code: str | None
    modifiers: tuple[str, ...]
    units: Decimal | None
    charge: Decimal
    service_date: dt.date | None
    control_number: str | None = None

    @property
    def billed_code(self) -> str:
        return self.original_code or self.code


@dataclass(frozen=True, slots=True)
class LineMatch:
    position: int
    line_number: int | None
    method: str
    reason: str = ""


def match_lines(billed: Sequence[BilledLine], paid: Sequence[PaidLine]) -> list[LineMatch]:
    """One LineMatch per paid line, in the order given."""
    taken: set[int] = set()
    result: dict[int, LineMatch] = {}
    passes: list[tuple[str, Callable[[BilledLine, PaidLine], bool]]] = [
        (
            "line_control_number",
            lambda b, p: p.control_number is not None and p.control_number == b.control_number,
        ),
        ("code_date_units_charge", _same_service),
        ("code_date", lambda b, p: b.code == p.billed_code and _same_day(b, p)),
        ("date_charge_recoded", lambda b, p: _same_day(b, p) and b.charge == p.charge),
    ]
    for method, test in passes:
        for line in paid:
            if line.position in result:
                continue
            fits = [b for b in billed if b.line_number not in taken and test(b, line)]
            if len(fits) == 1:
                taken.add(fits[0].line_number)
                result[line.position] = LineMatch(line.position, fits[0].line_number, method)
    for line in paid:
        if line.position in result:
            continue
        split = [
            b
            for b in billed
            if b.line_number in taken and b.code == line.billed_code and _same_day(b, line)
        ]
        if len(split) == 1:
            result[line.position] = LineMatch(line.position, split[0].line_number, "split")
        else:
            day = line.service_date.isoformat() if line.service_date else "no date"
            result[line.position] = LineMatch(
                line.position,
                None,
                "none",
                f"no billed line of {line.billed_code} on {day} left to match",
            )
    return [result[line.position] for line in paid]


def _same_day(b: BilledLine, p: PaidLine) -> bool:
    return p.service_date is None or p.service_date == b.service_date


def _same_service(b: BilledLine, p: PaidLine) -> bool:
    # Modifiers may come back reordered or dropped, never invented.
    return (
        b.code == p.billed_code
        and _same_day(b, p)
        and b.charge == p.charge
        and (p.units is None or p.units == b.units)
        and set(p.modifiers) <= set(b.modifiers)
    )
