"""The payments of an 835 transaction set (005010X221A1), read from its loops.

Read (docs/sources.md §9): BPR (handling, amount, method, date), TRN (trace, originator), N1*PR
and N1*PE, CLP (status, charge, paid, patient responsibility, filing indicator, ICN), claim
and line CAS, NM1*QC (the patient's member id, for matching), DTM*232/472, SVC (code and
modifiers, charge, paid, units, SVC06 original code), REF*6R, AMT*B6, LQ*HE, MOA remarks
and PLB. Balancing is checked by rules.remit; here only values are read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from rules.remit import Adjustment
from tasks.x12.claims837 import parse_date
from tasks.x12.reader import Seg, TransactionSet

CAS_GROUPS = ("CO", "OA", "PI", "PR")
MAX_AMOUNT = Decimal(100_000_000)  # the claim database keeps amounts as NUMERIC(10, 2)


class RemitReadError(ValueError):
    """A value an 835 must carry is missing or not a number (names segment and line)."""


@dataclass
class Line835:
    position: int
    procedure_code: str
    modifiers: list[str]
    original_code: str | None
    charge: Decimal
    paid: Decimal
    units_paid: Decimal | None
    service_date: dt.date | None = None
    line_control_number: str | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remark_codes: list[str] = field(default_factory=list)
    allowed_reported: Decimal | None = None


@dataclass
class Claim835:
    position: int
    control_number: str
    status_code: str
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    filing_indicator: str | None
    payer_claim_control_number: str | None
    member_id: str | None = None
    service_date: dt.date | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remark_codes: list[str] = field(default_factory=list)
    lines: list[Line835] = field(default_factory=list)


@dataclass
class ProviderAdjustment835:
    provider_key: str
    fiscal_period: dt.date | None
    reason: str
    reference: str | None
    amount: Decimal


@dataclass
class Payment835:
    set_control_number: str
    handling_code: str = ""
    amount: Decimal = Decimal(0)
    method: str | None = None
    paid_on: dt.date | None = None
    trace_number: str = ""
    originator: str = ""
    payer_name: str = ""
    payer_id: str = ""
    payee_id: str | None = None
    claims: list[Claim835] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment835] = field(default_factory=list)

    @property
    def payer_key(self) -> str:
        """Who paid: the payer id in N1*PR, else TRN03 (the payer's EIN-based originator id)."""
        return (self.payer_id or self.originator or self.payer_name)[:80]


def _amount(seg: Seg, ref: str, *, required: bool = True) -> Decimal:
    value = seg.get(ref)
    if not value:
        if required:
            raise RemitReadError(f"segment {seg.line}: {seg.id}{ref} is required and missing")
        return Decimal(0)
    try:
        amount = Decimal(value)
    except InvalidOperation as error:
        raise RemitReadError(f"segment {seg.line}: {seg.id}{ref} is not a number") from error
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise RemitReadError(
            f"segment {seg.line}: {seg.id}{ref} is out of range (at most {MAX_AMOUNT - 1:,})"
        )
    return amount


def _optional(seg: Seg, ref: str) -> Decimal | None:
    return _amount(seg, ref) if seg.get(ref) else None


_PAYMENT_SEGMENTS = frozenset({"BPR", "TRN", "N1", "PLB"})  # the payment's, not a claim's


def payment(tx: TransactionSet) -> Payment835:
    """The payment, claims, lines and provider adjustments of one 835 set."""
    out = payment_header(tx)
    out.claims = list(claims_of(tx))
    return out


def payment_header(tx: TransactionSet) -> Payment835:
    """The payment without its claims (BPR, TRN, N1*PR/PE and PLB): what posting needs
    before it writes a claim, and what it holds while it streams them."""
    out = Payment835(tx.control_number)
    for seg in tx.iter_segments(only=_PAYMENT_SEGMENTS):
        sid = seg.id
        if sid == "BPR":
            out.handling_code, out.method = seg.get("01"), seg.get("04") or None
            out.amount, out.paid_on = _amount(seg, "02"), parse_date(seg.get("16"))
        elif sid == "TRN":
            out.trace_number, out.originator = seg.get("02"), seg.get("03")
        elif sid == "N1" and seg.get("01") == "PR":
            out.payer_name, out.payer_id = seg.get("02"), seg.get("04")
        elif sid == "N1" and seg.get("01") == "PE":
            out.payee_id = seg.get("04") or None
        elif sid == "PLB":
            out.provider_adjustments += _plb(seg)
    return out


def claims_of(tx: TransactionSet) -> Iterator[Claim835]:
    """The set's claims (CLP with its CAS, NM1, MOA, DTM and SVC lines), one at a time.

    A month's payment from a large payer is tens of thousands of claims; read as one list
    they cost some 4 KB each before a row is written (measured: 24 MB for 6,612 claims).
    """
    claim: Claim835 | None = None
    line: Line835 | None = None
    position = 0
    for seg in tx.iter_segments():
        sid = seg.id
        if sid == "CLP":
            if claim is not None:
                yield claim
            position += 1
            claim, line = _clp(seg, position), None
        elif sid in _PAYMENT_SEGMENTS:
            continue  # the payment's, read by payment_header
        elif claim is not None:
            line = _in_claim(seg, claim, line)
    if claim is not None:
        yield claim


def _clp(seg: Seg, position: int) -> Claim835:
    return Claim835(
        position=position,
        control_number=seg.get("01"),
        status_code=seg.get("02"),
        charge=_amount(seg, "03"),
        paid=_amount(seg, "04"),
        patient_responsibility=_amount(seg, "05", required=False),
        filing_indicator=seg.get("06") or None,
        payer_claim_control_number=seg.get("07") or None,
    )


def _in_claim(seg: Seg, claim: Claim835, line: Line835 | None) -> Line835 | None:
    sid = seg.id
    if sid == "SVC":
        line = _svc(seg, len(claim.lines) + 1)
        claim.lines.append(line)
    elif sid == "CAS":
        (line.adjustments if line is not None else claim.adjustments).extend(_cas(seg))
    elif sid == "NM1" and seg.get("01") == "QC":
        claim.member_id = seg.get("09") or None
    elif sid == "MOA":
        claim.remark_codes += [c for c in (seg.get(f"{i:02d}") for i in range(3, 8)) if c]
    elif sid == "DTM" and line is None and seg.get("01") == "232":
        claim.service_date = parse_date(seg.get("02"))
    elif line is not None:
        _line_detail(seg, line)
    return line


def _line_detail(seg: Seg, line: Line835) -> None:
    sid = seg.id
    if sid == "DTM" and seg.get("01") in ("472", "150"):
        line.service_date = parse_date(seg.get("02"))
    elif sid == "REF" and seg.get("01") == "6R":
        line.line_control_number = seg.get("02") or None
    elif sid == "AMT" and seg.get("01") == "B6":
        line.allowed_reported = _optional(seg, "02")
    elif sid == "LQ" and seg.get("01") == "HE":
        line.remark_codes.append(seg.get("02"))


def _svc(seg: Seg, position: int) -> Line835:
    original = seg.get("06-02") or None
    return Line835(
        position=position,
        procedure_code=seg.get("01-02"),
        modifiers=[m for m in (seg.get(f"01-{i:02d}") for i in range(3, 7)) if m],
        original_code=original,
        charge=_amount(seg, "02"),
        paid=_amount(seg, "03"),
        units_paid=_optional(seg, "05"),
    )


def _cas(seg: Seg) -> list[Adjustment]:
    group = seg.get("01")
    if group not in CAS_GROUPS:
        raise RemitReadError(f"segment {seg.line}: CAS01 {group!r} is not one of {CAS_GROUPS}")
    out = []
    for first in (2, 5, 8, 11, 14, 17):
        reason = seg.get(f"{first:02d}")
        if reason:
            out.append(
                Adjustment(
                    group=group,
                    reason=reason,
                    amount=_amount(seg, f"{first + 1:02d}"),
                    quantity=_optional(seg, f"{first + 2:02d}"),
                )
            )
    return out


def _plb(seg: Seg) -> list[ProviderAdjustment835]:
    out = []
    for first in (3, 5, 7, 9, 11, 13):
        reason = seg.get(f"{first:02d}-01")
        if reason:
            out.append(
                ProviderAdjustment835(
                    provider_key=seg.get("01"),
                    fiscal_period=parse_date(seg.get("02")),
                    reason=reason,
                    reference=seg.get(f"{first:02d}-02") or None,
                    amount=_amount(seg, f"{first + 1:02d}"),
                )
            )
    return out
