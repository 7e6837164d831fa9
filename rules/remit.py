"""A payer's answer to a claim (from an 835 or a JSON packet), as plain values.

Amounts follow the 835: a positive adjustment reduces payment. For a line,
allowed = charge - (CO + OA + PI adjustments) = paid + PR, except that sequestration
(CARC 253) is a reduction of payment, not of the allowed amount, so it is added back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# CARCs the audit reads by meaning: the contractual write-off and Medicare sequestration.
CONTRACTUAL = "45"
SEQUESTRATION = "253"
WRITE_OFFS = frozenset({CONTRACTUAL, SEQUESTRATION})  # not denials, whatever their amount
# The 5010 835 guide has payers mark every part of a claim they split to speed it up with
# RARC MA15 in the claim's MOA (X12 RFI 1076): the parts together are the answer.
SPLIT_CLAIM = "MA15"
ZERO = Decimal("0")


class Adjustment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    group: Literal["CO", "OA", "PI", "PR"]
    reason: str = Field(min_length=1, max_length=5, description="CARC")
    amount: Decimal
    quantity: Decimal | None = None


class RemitLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    line_number: int | None = Field(
        default=None, description="the claim line it pays, once matched"
    )
    procedure_code: str
    modifiers: list[str] = Field(default_factory=list)
    original_code: str | None = Field(
        default=None, description="SVC06: what was billed, if the payer changed it"
    )
    charge: Decimal
    paid: Decimal
    units_paid: Decimal | None = None
    service_date: dt.date | None = None
    adjustments: list[Adjustment] = Field(default_factory=list)
    remark_codes: list[str] = Field(default_factory=list, description="RARCs (LQ*HE)")
    allowed_reported: Decimal | None = Field(default=None, description="AMT*B6, informational")

    def total(self, *groups: str, exclude: tuple[str, ...] = ()) -> Decimal:
        return sum(
            (a.amount for a in self.adjustments if a.group in groups and a.reason not in exclude),
            ZERO,
        )

    @property
    def patient_responsibility(self) -> Decimal:
        return self.total("PR")

    @property
    def sequestration(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.reason == SEQUESTRATION), ZERO)

    @property
    def allowed(self) -> Decimal:
        return self.charge - self.total("CO", "OA", "PI", exclude=(SEQUESTRATION,))

    @property
    def balances(self) -> bool:
        """SVC02 - sum of CAS = SVC03."""
        return self.charge - self.total("CO", "OA", "PI", "PR") == self.paid

    @property
    def carcs(self) -> list[str]:
        return [f"{a.group}-{a.reason}" for a in self.adjustments]


class RemitClaim(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    claim_id: str
    status_code: str = Field(description="CLP02: 1-3 processed, 4 denied, 22 reversal, ...")
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal = ZERO
    payer_claim_control_number: str | None = None
    adjustments: list[Adjustment] = Field(default_factory=list)
    remark_codes: list[str] = Field(default_factory=list)
    lines: list[RemitLine] = Field(default_factory=list)
    paid_date: dt.date | None = None

    @property
    def denied(self) -> bool:
        return self.status_code == "4"

    @property
    def reversal(self) -> bool:
        return self.status_code == REVERSAL

    @property
    def split_part(self) -> bool:
        return SPLIT_CLAIM in self.remark_codes

    def balances(self) -> bool:
        """CLP03 - (claim and line CAS) = CLP04 (X12 RFI 2348)."""
        cas = sum((a.amount for a in self.adjustments), ZERO)
        cas += sum((a.amount for ln in self.lines for a in ln.adjustments), ZERO)
        return self.charge - cas == self.paid


REVERSAL = "22"


def payment_balances(claims_paid: Decimal, provider_adjustments: Decimal, amount: Decimal) -> bool:
    """Sum of CLP04 - sum of PLB amounts = BPR02."""
    return claims_paid - provider_adjustments == amount


def effective(postings: list[RemitClaim]) -> RemitClaim | None:
    """What a claim was finally paid, from its postings in the order they arrived.

    A reversal (CLP02 22) cancels the latest earlier posting with the same payer claim
    control number (else the latest one); the newest posting left standing is the answer.
    A claim whose every posting was reversed has no answer yet (it awaits re-adjudication).
    A claim the payer split (MA15 on each part, possibly in different 835s) is answered by
    its parts together: the newest run of standing parts, summed.
    """
    standing: list[RemitClaim] = []
    for posting in postings:
        if not posting.reversal:
            standing.append(posting)
            continue
        same = [
            i
            for i, p in enumerate(standing)
            if posting.payer_claim_control_number
            and p.payer_claim_control_number == posting.payer_claim_control_number
        ]
        if same:
            standing.pop(same[-1])
        elif standing:
            standing.pop()
    if not standing:
        return None
    parts: list[RemitClaim] = []
    for posting in reversed(standing):
        if not posting.split_part:
            break
        parts.insert(0, posting)
    return joined(parts) if len(parts) > 1 else standing[-1]


def joined(parts: Sequence[RemitClaim]) -> RemitClaim:
    """The parts of a split claim as one answer: amounts summed, lines side by side (a line
    paid in two parts is summed later by merge_split), the newest part's status and date."""
    newest = parts[-1]
    return newest.model_copy(
        update={
            "charge": sum((p.charge for p in parts), ZERO),
            "paid": sum((p.paid for p in parts), ZERO),
            "patient_responsibility": sum((p.patient_responsibility for p in parts), ZERO),
            "adjustments": [a for p in parts for a in p.adjustments],
            "remark_codes": list(dict.fromkeys(c for p in parts for c in p.remark_codes)),
            "lines": [ln for p in parts for ln in p.lines],
        }
    )


class PostingProblem(StrEnum):
    """Money in a claim's postings that does not add up."""

    REVERSAL_WITHOUT_PAYMENT = "reversal_without_payment"  # a take-back of nothing on file
    NET_PAID_NEGATIVE = "net_paid_negative"  # more taken back than was ever paid


def posting_problems(postings: Sequence[RemitClaim]) -> list[tuple[PostingProblem, Decimal]]:
    """What does not add up in a claim's postings, in the order they came, with the amount
    at stake (what was taken back without cause)."""
    found: list[tuple[PostingProblem, Decimal]] = []
    standing = 0
    for posting in postings:
        if not posting.reversal:
            standing += 1
        elif standing:
            standing -= 1
        else:
            found.append((PostingProblem.REVERSAL_WITHOUT_PAYMENT, abs(posting.paid)))
    net = sum((p.paid for p in postings), ZERO)
    if net < 0 and not found:
        found.append((PostingProblem.NET_PAID_NEGATIVE, -net))
    return found


def merge_split(lines: list[RemitLine]) -> list[RemitLine]:
    """One RemitLine per claim line: a line paid in parts is audited as its sum."""
    by_line: dict[int | None, list[RemitLine]] = {}
    for line in lines:
        by_line.setdefault(line.line_number, []).append(line)
    merged = []
    for number, parts in by_line.items():
        if number is None or len(parts) == 1:
            merged.extend(parts)
            continue
        first = parts[0]
        merged.append(
            first.model_copy(
                update={
                    "charge": sum((p.charge for p in parts), ZERO),
                    "paid": sum((p.paid for p in parts), ZERO),
                    "adjustments": [a for p in parts for a in p.adjustments],
                    "remark_codes": [c for p in parts for c in p.remark_codes],
                    "allowed_reported": None,
                }
            )
        )
    return merged
