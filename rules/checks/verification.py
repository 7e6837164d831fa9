"""Step 1, verification: coverage, routing, benefits, authorization and referral, frequency.

Every check here reads the claim context only; the payer's parameters come from its rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from rules.checks.base import CheckParams, Env, Hit, check, units
from rules.codes import AuthKind, BenefitOrder, FrequencyCode, Modality, PayerKind, ProcedureCode
from rules.context import ClaimContext
from rules.outcomes import Step
from rules.records import Authorization, ClaimLine

V = Step.VERIFICATION


class PayerRulesOnFile(CheckParams):
    check: Literal["payer_rules_on_file"]


@check(V, PayerRulesOnFile)
def payer_rules_on_file(ctx: ClaimContext, p: PayerRulesOnFile, env: Env) -> list[Hit]:
    """The payer has its own rule set; otherwise only the default rules judged this claim."""
    if ctx.claim.payer_id in env.payers_with_rules:
        return []
    return [
        Hit(
            message=f"Payer {ctx.claim.payer_id} has no payer rule set; only the default rules were applied.",
            evidence={"payer_id": ctx.claim.payer_id},
        )
    ]


class CoverageActive(CheckParams):
    check: Literal["coverage_active"]


@check(V, CoverageActive)
def coverage_active(ctx: ClaimContext, p: CoverageActive, env: Env) -> list[Hit]:
    """The coverage the claim names is in force on every date of service."""
    cov = ctx.coverage
    if cov is None:
        return [
            Hit(
                message=f"Coverage {ctx.claim.coverage_id} is not on file.",
                evidence={"coverage_id": ctx.claim.coverage_id},
            )
        ]
    if cov.reported_by_claim:
        return [
            Hit(
                message=f"Coverage {cov.coverage_id} is known only from the 837P that billed this claim; eligibility has not been verified.",
                evidence={"coverage_id": cov.coverage_id, "reported_by_claim": True},
                fix="Verify eligibility (270/271 or the payer portal) and load the member's coverage record.",
            )
        ]
    hits = []
    for line in ctx.claim.lines:
        if line.service_date < cov.effective_from or (
            cov.effective_to and line.service_date > cov.effective_to
        ):
            ends = cov.effective_to.isoformat() if cov.effective_to else "open"
            hits.append(
                Hit(
                    message=f"Coverage {cov.coverage_id} runs {cov.effective_from} to {ends}; the service on {line.service_date} falls outside it.",
                    line_number=line.line_number,
                    evidence={
                        "coverage_id": cov.coverage_id,
                        "effective_from": str(cov.effective_from),
                        "effective_to": ends,
                        "service_date": str(line.service_date),
                    },
                )
            )
    return hits


class BilledToResponsiblePayer(CheckParams):
    check: Literal["billed_to_responsible_payer"]


@check(V, BilledToResponsiblePayer)
def billed_to_responsible_payer(
    ctx: ClaimContext, p: BilledToResponsiblePayer, env: Env
) -> list[Hit]:
    """The claim goes to whoever pays behavioural health: the plan, or its carve-out administrator."""
    cov, plan = ctx.coverage, ctx.plan
    if cov is None or plan is None:
        return []
    carved = cov.carveout_payer_id is not None
    responsible = cov.carveout_payer_id if carved else plan.payer_id
    if ctx.claim.payer_id == responsible:
        return []
    evidence = {
        "billed_payer": ctx.claim.payer_id,
        "responsible_payer": responsible,
        "bh_benefit": cov.bh_benefit.value,
    }
    if carved:
        message = f"The member's behavioural-health benefit is carved out to {responsible}, but the claim is billed to {ctx.claim.payer_id}."
    else:
        message = f"Coverage {cov.coverage_id} is with {plan.payer_id}, but the claim is billed to {ctx.claim.payer_id}."
    return [Hit(message=message, evidence=evidence, fix=f"Bill {responsible} instead.")]


class PlanCoversService(CheckParams):
    check: Literal["plan_covers_service"]
    codes: list[ProcedureCode] = Field(min_length=1)


@check(V, PlanCoversService)
def plan_covers_service(ctx: ClaimContext, p: PlanCoversService, env: Env) -> list[Hit]:
    """The member's plan covers group psychotherapy (and telehealth, when the session was remote)."""
    plan = ctx.plan
    if plan is None:
        return []
    hits = []
    for line in _lines_with(ctx.claim.lines, p.codes):
        if not plan.covers_group_psychotherapy:
            hits.append(
                Hit(
                    message=f"Plan {plan.plan_id} does not cover {line.procedure_code}.",
                    line_number=line.line_number,
                    evidence={"plan_id": plan.plan_id},
                )
            )
        elif (
            ctx.session
            and ctx.session.modality is not Modality.IN_PERSON
            and not plan.covers_telehealth
        ):
            hits.append(
                Hit(
                    message=f"Plan {plan.plan_id} does not cover telehealth; the session was {ctx.session.modality.value}.",
                    line_number=line.line_number,
                    evidence={"plan_id": plan.plan_id, "modality": ctx.session.modality.value},
                )
            )
    return hits


class AuthParams(CheckParams):
    """What every authorization check takes: the codes the payer wants it for, and its kind."""

    codes: list[ProcedureCode] = Field(min_length=1)
    kind: AuthKind = AuthKind.PRIOR_AUTH


class AuthNumberOnClaim(AuthParams):
    check: Literal["auth_number_on_claim"]


@check(V, AuthNumberOnClaim)
def auth_number_on_claim(ctx: ClaimContext, p: AuthNumberOnClaim, env: Env) -> list[Hit]:
    """A payer that requires authorization (or a referral) for these codes gets its number on the claim."""
    hits = []
    for line in _lines_with(ctx.claim.lines, p.codes):
        if _number(ctx, line, p.kind):
            continue
        on_file = [a for a in _auths(ctx, p.kind) if _covers(a, line)]
        word = "authorization" if p.kind is AuthKind.PRIOR_AUTH else "referral"
        if on_file:
            fix = f"Put {word} {on_file[0].auth_number} on the claim."
            message = f"No {word} number on the claim for {line.procedure_code}; {on_file[0].auth_number} is on file."
        else:
            fix = f"Obtain a {word} from {ctx.claim.payer_id} and put its number on the claim."
            message = f"{ctx.claim.payer_id} requires a {word} for {line.procedure_code}; none is on the claim or on file."
        hits.append(
            Hit(
                message=message,
                line_number=line.line_number,
                evidence={
                    "procedure_code": line.procedure_code,
                    "on_file": [a.auth_number for a in on_file],
                },
                fix=fix,
            )
        )
    return hits


class AuthValidForService(AuthParams):
    check: Literal["auth_valid_for_service"]


@check(V, AuthValidForService)
def auth_valid_for_service(ctx: ClaimContext, p: AuthValidForService, env: Env) -> list[Hit]:
    """The number on the claim is this payer's, for this patient, code and rendering provider."""
    hits = []
    for line, number, auth in _claimed_auths(ctx, p):
        evidence = {"auth_number": number, "procedure_code": line.procedure_code}
        if auth is None:
            hits.append(
                Hit(
                    message=f"Authorization {number} is not on file for {ctx.claim.payer_id} and this patient.",
                    line_number=line.line_number,
                    evidence=evidence,
                )
            )
        elif line.procedure_code not in auth.procedure_codes:
            hits.append(
                Hit(
                    message=f"Authorization {number} covers {', '.join(auth.procedure_codes)}, not {line.procedure_code}.",
                    line_number=line.line_number,
                    evidence=evidence,
                )
            )
        elif auth.rendering_npi and auth.rendering_npi != (
            line.rendering_npi or ctx.claim.rendering_npi
        ):
            hits.append(
                Hit(
                    message=f"Authorization {number} is for rendering provider {auth.rendering_npi}, not {ctx.claim.rendering_npi}.",
                    line_number=line.line_number,
                    evidence=evidence,
                )
            )
    return hits


class AuthInDateRange(AuthParams):
    check: Literal["auth_in_date_range"]


@check(V, AuthInDateRange)
def auth_in_date_range(ctx: ClaimContext, p: AuthInDateRange, env: Env) -> list[Hit]:
    """The authorization covers the date of service (not expired, not yet started)."""
    hits = []
    for line, _, auth in _claimed_auths(ctx, p):
        if auth and not auth.start_date <= line.service_date <= auth.end_date:
            state = "expired" if line.service_date > auth.end_date else "not yet started"
            hits.append(
                Hit(
                    message=f"Authorization {auth.auth_number} runs {auth.start_date} to {auth.end_date}; it had {state} on {line.service_date}.",
                    line_number=line.line_number,
                    evidence={
                        "auth_number": auth.auth_number,
                        "start_date": str(auth.start_date),
                        "end_date": str(auth.end_date),
                        "service_date": str(line.service_date),
                    },
                )
            )
    return hits


class AuthUnitsRemaining(AuthParams):
    check: Literal["auth_units_remaining"]


@check(V, AuthUnitsRemaining)
def auth_units_remaining(ctx: ClaimContext, p: AuthUnitsRemaining, env: Env) -> list[Hit]:
    """The authorization has units left for what this claim bills."""
    hits = []
    for line, _, auth in _claimed_auths(ctx, p):
        if auth is None:
            continue
        left = auth.units_approved - auth.units_used
        if line.units > left:
            hits.append(
                Hit(
                    message=f"Authorization {auth.auth_number} has {max(left, 0)} of {auth.units_approved} units left; the line bills {units(line.units)}.",
                    line_number=line.line_number,
                    evidence={
                        "auth_number": auth.auth_number,
                        "units_approved": auth.units_approved,
                        "units_used": auth.units_used,
                        "units_billed": units(line.units),
                    },
                    fix="Request more units (a concurrent review) before billing.",
                )
            )
    return hits


class FrequencyWithin(CheckParams):
    check: Literal["frequency_within"]
    codes: list[ProcedureCode] = Field(min_length=1)
    max_per_week: int | None = Field(default=None, ge=1)
    max_per_year: int | None = Field(default=None, ge=1)


@check(V, FrequencyWithin)
def frequency_within(ctx: ClaimContext, p: FrequencyWithin, env: Env) -> list[Hit]:
    """Sessions of these codes stay within the payer's weekly and yearly limits.

    Counts distinct dates of service up to this one (a duplicate of a date adds no session;
    duplicates are the coding-edit step's business), voided claims excluded.
    """
    mine = {ln.service_date for ln in _lines_with(ctx.claim.lines, p.codes)}
    if not mine:
        return []
    dos = max(mine)
    dates = mine | {
        s.service_date
        for s in ctx.history
        if s.procedure_code in p.codes
        and s.frequency_code is not FrequencyCode.VOID
        and s.service_date <= dos
    }
    hits = []
    if p.max_per_week is not None:
        week = [d for d in dates if d.isocalendar()[:2] == dos.isocalendar()[:2]]
        if len(week) > p.max_per_week:
            hits.append(
                Hit(
                    message=f"This is session {len(week)} in the week of {_monday(dos)}; {ctx.claim.payer_id} allows {p.max_per_week} a week.",
                    evidence={"sessions_this_week": len(week), "limit": p.max_per_week},
                )
            )
    if p.max_per_year is not None:
        year = [d for d in dates if d.year == dos.year]
        if len(year) > p.max_per_year:
            hits.append(
                Hit(
                    message=f"This is session {len(year)} in {dos.year}; {ctx.claim.payer_id} allows {p.max_per_year} a year.",
                    evidence={"sessions_this_year": len(year), "limit": p.max_per_year},
                )
            )
    return hits


class ProviderEnrolled(CheckParams):
    check: Literal["provider_enrolled"]


@check(V, ProviderEnrolled)
def provider_enrolled(ctx: ClaimContext, p: ProviderEnrolled, env: Env) -> list[Hit]:
    """The rendering provider is enrolled with the billed payer on the date of service."""
    if ctx.rendering is None:
        return [
            Hit(
                message=f"Rendering provider {ctx.claim.rendering_npi} is not on file.",
                evidence={"rendering_npi": ctx.claim.rendering_npi},
            )
        ]
    dos = ctx.service_date
    for e in ctx.rendering.enrollments:
        if (
            e.payer_id == ctx.claim.payer_id
            and e.effective_from <= dos
            and (e.effective_to is None or dos <= e.effective_to)
        ):
            return []
    return [
        Hit(
            message=f"Rendering provider {ctx.rendering.npi} is not enrolled with {ctx.claim.payer_id} on {dos}.",
            evidence={"rendering_npi": ctx.rendering.npi, "payer_id": ctx.claim.payer_id},
        )
    ]


class ProviderCredentialKnown(CheckParams):
    check: Literal["provider_credential_known"]


@check(V, ProviderCredentialKnown)
def provider_credential_known(ctx: ClaimContext, p: ProviderCredentialKnown, env: Env) -> list[Hit]:
    """The rendering provider's credential is on file: payers pay by it and the note must
    match it. A provider first seen in an 837P under a taxonomy that does not say it (an
    agency's 251S00000X) has none until someone adds it."""
    provider = ctx.rendering
    if provider is None or provider.credential is not None:
        return []
    said = f"taxonomy {provider.taxonomy} does not say it" if provider.taxonomy else "no taxonomy"
    return [
        Hit(
            message=(
                f"Rendering provider {provider.npi} has no credential on file ({said}); "
                "add it to the provider record."
            ),
            evidence={"rendering_npi": provider.npi, "taxonomy": provider.taxonomy},
        )
    ]


def _lines_with(lines: list[ClaimLine], codes: list[str]) -> list[ClaimLine]:
    return [line for line in lines if line.procedure_code in codes]


def _number(ctx: ClaimContext, line: ClaimLine, kind: AuthKind) -> str | None:
    if kind is AuthKind.REFERRAL:
        return ctx.claim.referral_number
    return line.prior_auth_number or ctx.claim.prior_auth_number


def _claimed_auths(
    ctx: ClaimContext, p: AuthParams
) -> Iterator[tuple[ClaimLine, str, Authorization | None]]:
    """Each line needing an authorization that carries a number: the line, the number, the authorization on file."""
    for line in _lines_with(ctx.claim.lines, p.codes):
        number = _number(ctx, line, p.kind)
        if number:
            yield line, number, _find(ctx, number, p.kind)


def _auths(ctx: ClaimContext, kind: AuthKind) -> list[Authorization]:
    return [a for a in ctx.authorizations if a.kind is kind and a.payer_id == ctx.claim.payer_id]


def _find(ctx: ClaimContext, number: str, kind: AuthKind) -> Authorization | None:
    return next((a for a in _auths(ctx, kind) if a.auth_number == number), None)


def _covers(auth: Authorization, line: ClaimLine) -> bool:
    return (
        line.procedure_code in auth.procedure_codes
        and auth.start_date <= line.service_date <= auth.end_date
        and auth.units_used < auth.units_approved
    )


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


class PriorClaimNumbered(CheckParams):
    check: Literal["prior_claim_numbered"]


@check(V, PriorClaimNumbered)
def prior_claim_numbered(ctx: ClaimContext, p: PriorClaimNumbered, env: Env) -> list[Hit]:
    """A replacement (frequency 7) or void (8) names the claim it replaces: the payer's claim
    control number (2300 REF*F8, the original's CLP07), without which the payer cannot find it."""
    claim = ctx.claim
    if claim.frequency_code not in (FrequencyCode.REPLACEMENT, FrequencyCode.VOID):
        return []
    if claim.payer_claim_control_number:
        return []
    kind = "replacement" if claim.frequency_code is FrequencyCode.REPLACEMENT else "void"
    return [
        Hit(
            message=(
                f"This {kind} claim (frequency {claim.frequency_code.value}) does not give the "
                "payer's claim number of the claim it "
                + ("replaces" if kind == "replacement" else "cancels")
                + " (REF*F8)."
            ),
            evidence={"frequency_code": claim.frequency_code.value},
        )
    ]


class PayersInOrder(CheckParams):
    check: Literal["payers_in_order"]
    last_resort: list[PayerKind] = Field(
        default=[PayerKind.MEDICAID_MANAGED_CARE],
        description="payer kinds that pay after every other coverage (Medicaid: SSA §1902(a)(25))",
    )


@check(V, PayersInOrder)
def payers_in_order(ctx: ClaimContext, p: PayersInOrder, env: Env) -> list[Hit]:
    """A claim goes to a later payer only with the earlier payer's adjudication on it: the
    patient's other coverage active on the date of service that pays first (Medicare and every
    other plan before Medicaid; primary before secondary, as on file) must have been billed."""
    billed = ctx.coverage
    if billed is None or ctx.payer is None or ctx.claim.prior_payer_paid is not None:
        return []
    day = ctx.service_date

    def rank(kind: PayerKind | None, order: BenefitOrder) -> tuple[bool, int]:
        return kind in p.last_resort, list(BenefitOrder).index(order)

    mine = rank(ctx.payer.kind, billed.benefit_order)
    first = sorted(
        (c for c in ctx.other_coverage if c.active_on(day) and c.payer_id != ctx.claim.payer_id),
        key=lambda c: rank(c.payer_kind, c.order),
    )
    ahead = [c for c in first if rank(c.payer_kind, c.order) < mine]
    if not ahead:
        return []
    primary = ahead[0]
    if ctx.payer.kind in p.last_resort and primary.payer_kind not in p.last_resort:
        why = f"{ctx.claim.payer_id} is Medicaid, the payer of last resort"
        if primary.payer_kind is PayerKind.MEDICARE:
            why += ", and the patient is dual-eligible: Medicare pays first"
    else:
        why = f"the coverage billed is {billed.benefit_order.value}, {primary.payer_id}'s is {primary.order.value}"
    return [
        Hit(
            message=(
                f"Billed to {ctx.claim.payer_id} with no payment from {primary.payer_id} "
                f"(coverage {primary.coverage_id}, active on {day}) on the claim: {why}."
            ),
            evidence={
                "billed_payer": ctx.claim.payer_id,
                "pays_first": primary.payer_id,
                "coverage_id": primary.coverage_id,
            },
            fix=(
                f"Bill {primary.payer_id} first; when its 835 arrives, bill {ctx.claim.payer_id} "
                "with that payment (837P loop 2320 AMT*D, 2330B the payer), or correct the "
                "coverage's order of benefits if it is wrong."
            ),
        )
    ]
