"""Step 5's arithmetic: what the contract says a line should have paid, and how it was paid.

Underpayment = expected contract allowed - actual allowed, where actual allowed =
SVC03 + PR (+ sequestration, which reduces payment and not the allowed amount).
Source: X12 RFI 2348/2601 on 835 balancing; docs/sources.md §5 and §9.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import partial

from rules import fees
from rules.codes import PayerKind
from rules.context import ClaimContext
from rules.records import ClaimLine
from rules.remit import WRITE_OFFS, ZERO, RemitLine
from rules.tables import Tables

CENT = Decimal("0.01")


class Outcome(StrEnum):
    PAID_CORRECTLY = "paid_correctly"
    UNDERPAID = "underpaid"
    OVERPAID = "overpaid"
    DENIED = "denied"
    NO_CONTRACT = "no_contract"


@dataclass(frozen=True, kw_only=True)
class LineAudit:
    line_number: int | None
    procedure_code: str
    outcome: Outcome
    expected_allowed: Decimal | None
    allowed: Decimal
    paid: Decimal
    variance: Decimal  # expected - allowed: positive means underpaid
    expected_patient: Decimal | None
    patient: Decimal
    contract_source: str = ""
    contract_detail: str = ""
    contract_term: str = ""
    illustrative: bool = False
    denial_category: str = ""
    prevented_by: str = ""
    codes: list[str] = field(default_factory=list)


def expected_allowed(ctx: ClaimContext, tables: Tables, line: ClaimLine) -> fees.Expected | None:
    """The contract's allowed amount for a claim line (all its units): the contract amount,
    or the billed charge when the contract pays the lesser of the two and the charge is lower."""
    contract = contract_total(ctx, tables, line)
    if contract is None or not contract.lesser_of_billed or line.charge >= contract.amount:
        return contract
    return replace(
        contract,
        amount=line.charge,
        detail=f"lesser of billed ${line.charge} and contract ${contract.amount} ({contract.detail})",
    )


def contract_total(ctx: ClaimContext, tables: Tables, line: ClaimLine) -> fees.Expected | None:
    """What the contract (or Medicare's fee schedule) sets for a claim line, all its units."""
    pos = line.place_of_service or ctx.claim.place_of_service
    credential = ctx.rendering.credential if ctx.rendering else None
    locality = ctx.location.medicare_locality if ctx.location else None
    if ctx.payer is not None and ctx.payer.kind is PayerKind.MEDICARE:
        unit = fees.medicare_amount(
            tables, line.procedure_code, pos, credential, line.service_date, locality
        )
    else:
        plan = ctx.plan.plan_id if ctx.plan else None
        unit = fees.contract_amount(
            tables,
            ctx.claim.payer_id,
            plan,
            line.procedure_code,
            list(line.modifiers),
            pos,
            credential,
            line.service_date,
            locality,
        )
    if unit is None:
        return None
    return replace(unit, amount=(unit.amount * line.units).quantize(CENT, ROUND_HALF_UP))


def expected_patient_share(ctx: ClaimContext, allowed: Decimal) -> Decimal | None:
    """Copay, or coinsurance on what the deductible leaves, per the member's coverage."""
    cov = ctx.coverage
    if cov is None:
        return None
    deductible = min(max(cov.deductible - cov.deductible_met, ZERO), allowed)
    rest = allowed - deductible
    share = cov.copay if cov.copay > 0 else (rest * cov.coinsurance_pct / 100)
    return (deductible + min(share, rest)).quantize(CENT, ROUND_HALF_UP)


def audit_line(
    ctx: ClaimContext, tables: Tables, line: ClaimLine, remit: RemitLine, *, tolerance: Decimal
) -> LineAudit:
    """Compare one paid line with the contract and classify it."""
    allowed = remit.allowed
    # What every outcome says of the line as paid; each branch adds what it found.
    audit = partial(
        LineAudit,
        line_number=line.line_number,
        procedure_code=line.procedure_code,
        allowed=allowed,
        paid=remit.paid,
        patient=remit.patient_responsibility,
        codes=remit.carcs + remit.remark_codes,
    )
    if (remit.paid == 0 and allowed <= 0) or _denial_carc(remit, tables):
        category, step = _denial_category(remit, tables)
        return audit(
            outcome=Outcome.DENIED,
            expected_allowed=None,
            variance=ZERO,
            expected_patient=None,
            denial_category=category,
            prevented_by=step,
        )
    expected = expected_allowed(ctx, tables, line)
    if expected is None:
        return audit(
            outcome=Outcome.NO_CONTRACT, expected_allowed=None, variance=ZERO, expected_patient=None
        )
    variance = expected.amount - allowed
    outcome = Outcome.PAID_CORRECTLY
    if variance > tolerance:
        outcome = Outcome.UNDERPAID
    elif -variance > tolerance:
        outcome = Outcome.OVERPAID
    return audit(
        outcome=outcome,
        expected_allowed=expected.amount,
        variance=variance,
        # The member's share follows what the payer allowed: on an underpaid line both are
        # low, and the underpayment is the finding, not the share as well.
        expected_patient=expected_patient_share(ctx, allowed),
        contract_source=expected.source,
        contract_detail=expected.detail,
        contract_term=expected.term,
        illustrative=expected.illustrative,
    )


def _denial_carc(remit: RemitLine, tables: Tables) -> bool:
    # A line is denied when an adjustment other than the contractual write-off (45),
    # sequestration (253) or patient responsibility takes the whole payment.
    return remit.paid == 0 and any(
        a.group != "PR" and a.reason not in WRITE_OFFS and a.reason in tables.carc
        for a in remit.adjustments
    )


def _denial_category(remit: RemitLine, tables: Tables) -> tuple[str, str]:
    for adjustment in remit.adjustments:
        row = tables.carc.get(adjustment.reason)
        if row is not None and adjustment.group != "PR" and adjustment.reason not in WRITE_OFFS:
            return row.category, row.prevented_by
    return "other", ""
