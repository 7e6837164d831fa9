"""Step 5, post-payment audit: each paid line against the contract, the plan and the 835's own arithmetic."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from rules import audit
from rules.checks.base import CheckParams, Env, Hit, check
from rules.context import ClaimContext
from rules.outcomes import Step
from rules.records import ClaimLine
from rules.remit import PostingProblem, RemitLine, posting_problems

A = Step.POST_PAYMENT_AUDIT


def _pairs(ctx: ClaimContext) -> list[tuple[ClaimLine, RemitLine]]:
    if ctx.remittance is None:
        return []
    lines = {ln.line_number: ln for ln in ctx.claim.lines}
    return [(lines[r.line_number], r) for r in ctx.remittance.lines if r.line_number in lines]


class PaymentsAddUp(CheckParams):
    check: Literal["payments_add_up"]


_TAKE_BACK = {
    PostingProblem.REVERSAL_WITHOUT_PAYMENT: "A reversal (CLP02 22) took back ${amount} of a payment not on file.",
    PostingProblem.NET_PAID_NEGATIVE: "More was taken back than paid: the claim's net payment is -${amount}.",
}


@check(A, PaymentsAddUp)
def payments_add_up(ctx: ClaimContext, p: PaymentsAddUp, env: Env) -> list[Hit]:
    """Every take-back reverses a payment on file, and the claim's net payment is not below zero."""
    return [
        Hit(
            message=_TAKE_BACK[problem].format(amount=amount),
            evidence={"problem": problem.value, "taken_back": str(amount)},
            fix="Ask the payer which payment the take-back reverses; dispute it if none.",
        )
        for problem, amount in posting_problems(ctx.postings)
    ]


class PaidAsContracted(CheckParams):
    check: Literal["paid_as_contracted"]
    tolerance: Decimal = Field(
        default=Decimal("0.50"), ge=0, description="dollars of variance ignored per line"
    )


@check(A, PaidAsContracted)
def paid_as_contracted(ctx: ClaimContext, p: PaidAsContracted, env: Env) -> list[Hit]:
    """The allowed amount matches the contract's expected allowed amount, within the tolerance."""
    hits = []
    for line, remit in _pairs(ctx):
        result = audit.audit_line(ctx, env.tables, line, remit, tolerance=p.tolerance)
        evidence = {
            "expected_allowed": str(result.expected_allowed),
            "allowed": str(result.allowed),
            "paid": str(result.paid),
            "variance": str(result.variance),
            "contract": result.contract_source,
            "basis": result.contract_detail,
            "term": result.contract_term,
            "illustrative": result.illustrative,
        }
        if result.outcome is audit.Outcome.UNDERPAID:
            hits.append(
                Hit(
                    message=f"{line.procedure_code} was allowed ${result.allowed}; the contract allows ${result.expected_allowed}: underpaid by ${result.variance}.",
                    line_number=line.line_number,
                    evidence=evidence,
                    fix="Appeal the underpayment with the contract's fee schedule.",
                )
            )
        elif result.outcome is audit.Outcome.OVERPAID:
            hits.append(
                Hit(
                    message=f"{line.procedure_code} was allowed ${result.allowed}; the contract allows ${result.expected_allowed}: overpaid by ${-result.variance}.",
                    line_number=line.line_number,
                    evidence=evidence,
                    fix="Expect a take-back; confirm the fee schedule.",
                    severity=None,
                )
            )
        elif result.outcome is audit.Outcome.NO_CONTRACT:
            hits.append(
                Hit(
                    message=f"No fee schedule row covers {line.procedure_code} for {ctx.claim.payer_id}; the payment could not be audited.",
                    line_number=line.line_number,
                    evidence=evidence,
                    fix="Add the contract's rate to the fee schedule.",
                )
            )
    return hits


class PatientShareAsPlan(CheckParams):
    check: Literal["patient_share_as_plan"]
    tolerance: Decimal = Field(default=Decimal("0.50"), ge=0)


@check(A, PatientShareAsPlan)
def patient_share_as_plan(ctx: ClaimContext, p: PatientShareAsPlan, env: Env) -> list[Hit]:
    """The patient's share (PR) is what the plan's copay, coinsurance and deductible say."""
    hits = []
    for line, remit in _pairs(ctx):
        result = audit.audit_line(ctx, env.tables, line, remit, tolerance=p.tolerance)
        if result.outcome is audit.Outcome.DENIED or result.expected_patient is None:
            continue
        gap = result.patient - result.expected_patient
        if abs(gap) > p.tolerance:
            more = "more" if gap > 0 else "less"
            hits.append(
                Hit(
                    message=f"The patient was assigned ${result.patient} for {line.procedure_code}; the plan's terms give ${result.expected_patient} ({more} by ${abs(gap)}).",
                    line_number=line.line_number,
                    evidence={
                        "patient_responsibility": str(result.patient),
                        "expected": str(result.expected_patient),
                    },
                    fix="Check the member's benefits; correct the patient statement or appeal.",
                )
            )
    return hits


class DenialExplained(CheckParams):
    check: Literal["denial_explained"]


@check(A, DenialExplained)
def denial_explained(ctx: ClaimContext, p: DenialExplained, env: Env) -> list[Hit]:
    """A denied line gets its root-cause category and the lifecycle step that should have stopped it."""
    hits = []
    for line, remit in _pairs(ctx):
        result = audit.audit_line(ctx, env.tables, line, remit, tolerance=Decimal(0))
        if result.outcome is audit.Outcome.DENIED:
            expected = audit.expected_allowed(ctx, env.tables, line)
            step = (
                f"; step {result.prevented_by.replace('_', ' ')} should have caught it"
                if result.prevented_by
                else ""
            )
            hits.append(
                Hit(
                    message=f"{line.procedure_code} was denied ({', '.join(result.codes)}): {result.denial_category.replace('_', ' ')}{step}.",
                    line_number=line.line_number,
                    evidence={
                        "category": result.denial_category,
                        "prevented_by": result.prevented_by,
                        "codes": result.codes,
                        # What the line would have paid: the amount an appeal is about.
                        "expected_allowed": str(expected.amount) if expected else None,
                        # What the payer's remark codes say, from the RARC list on file.
                        "remarks": {
                            code: env.tables.rarc[code].description
                            for code in remit.remark_codes
                            if code in env.tables.rarc
                        },
                    },
                    fix="Correct and resubmit, or appeal, per the denial's category.",
                )
            )
    return hits


class RemittanceBalances(CheckParams):
    check: Literal["remittance_balances"]


@check(A, RemittanceBalances)
def remittance_balances(ctx: ClaimContext, p: RemittanceBalances, env: Env) -> list[Hit]:
    """Each remittance line balances: charge - adjustments = paid (835 line balancing)."""
    return [
        Hit(
            message=f"Remittance line for {remit.procedure_code} does not balance: charge {remit.charge} - adjustments {remit.total('CO', 'OA', 'PI', 'PR')} is not the paid {remit.paid}.",
            line_number=line.line_number,
            evidence={
                "charge": str(remit.charge),
                "adjustments": str(remit.total("CO", "OA", "PI", "PR")),
                "paid": str(remit.paid),
            },
            fix="Ask the payer for a corrected remittance.",
        )
        for line, remit in _pairs(ctx)
        if not remit.balances
    ]
