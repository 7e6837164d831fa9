"""Step 4, coding edits and add-ons: NCCI pairs and MUEs, 90785, telehealth coding, duplicates.

The NCCI, MUE, add-on and code-validity facts come from the code tables (rules/tables/),
so a new CMS quarter is a data change. Sources: CMS NCCI policy; docs/sources.md §2-4.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rules import audit
from rules.checks.base import CheckParams, Env, Hit, check, units
from rules.codes import (
    ComplexityFactor,
    Credential,
    FrequencyCode,
    LocationKind,
    Modality,
    Modifier,
    PatientLocation,
    ProcedureCode,
)
from rules.context import ClaimContext, PriorService
from rules.outcomes import Step
from rules.records import ClaimLine
from rules.tables import BYPASS_MODIFIERS, AddonRelation, ModifierIndicator, PfsStatus

E = Step.CODING_EDITS
TELEHEALTH_POS = ("02", "10")


class NcciPairs(CheckParams):
    check: Literal["ncci_pairs"]


@check(E, NcciPairs)
def ncci_pairs(ctx: ClaimContext, p: NcciPairs, env: Env) -> list[Hit]:
    """Two codes the NCCI pairs on one patient, date and provider: column 2 needs a bypass modifier (indicator 1) or is not payable (0)."""
    hits = []
    lines = ctx.claim.lines
    for i, a in enumerate(lines):
        for b in lines[i + 1 :]:
            if a.service_date == b.service_date and _same_provider(ctx, a, b):
                hit = _pair_hit(
                    env,
                    a.procedure_code,
                    set(a.modifiers),
                    b.procedure_code,
                    set(b.modifiers),
                    {a.procedure_code: a.line_number, b.procedure_code: b.line_number},
                    a.service_date,
                )
                hits += [hit] if hit else []
    for line in lines:
        for prior in ctx.history_on(line.service_date):
            if (
                prior.service_date == line.service_date
                and prior.rendering_npi == (line.rendering_npi or ctx.claim.rendering_npi)
                and prior.frequency_code is not FrequencyCode.VOID
                and (prior.claim_date, prior.claim_id) < ctx.sort_key
            ):
                hit = _pair_hit(
                    env,
                    line.procedure_code,
                    set(line.modifiers),
                    prior.procedure_code,
                    set(prior.modifiers),
                    {line.procedure_code: line.line_number},
                    line.service_date,
                    prior.claim_id,
                )
                hits += [hit] if hit else []
    return hits


def _pair_hit(
    env: Env,
    code_a: str,
    mods_a: set[str],
    code_b: str,
    mods_b: set[str],
    line_of: dict[str, int],
    on: dt.date,
    other_claim: str | None = None,
) -> Hit | None:
    edit = env.tables.ptp_edit(code_a, code_b, on)
    if edit is None or code_a == code_b:
        return None
    col2_mods = mods_a if edit.column_2 == code_a else mods_b
    col1_mods = mods_b if edit.column_2 == code_a else mods_a
    where = f" (with {edit.column_1} on claim {other_claim})" if other_claim else ""
    evidence = {
        "column_1": edit.column_1,
        "column_2": edit.column_2,
        "modifier_indicator": edit.modifier_indicator.value,
        "table": edit.source,
        "illustrative": edit.illustrative,
    }
    line = line_of.get(edit.column_2, line_of.get(edit.column_1))
    if edit.modifier_indicator is ModifierIndicator.NEVER:
        return Hit(
            message=f"NCCI pairs {edit.column_1} with {edit.column_2}{where}; modifier indicator 0: no modifier allows both.",
            line_number=line,
            evidence=evidence,
            fix=f"Remove {edit.column_2}; only {edit.column_1} is payable.",
        )
    if col2_mods & BYPASS_MODIFIERS:
        return None
    misplaced = col1_mods & BYPASS_MODIFIERS
    note = (
        f"; {', '.join(sorted(misplaced))} is on {edit.column_1} but belongs on {edit.column_2}"
        if misplaced
        else ""
    )
    return Hit(
        message=f"NCCI pairs {edit.column_1} (column 1) with {edit.column_2} (column 2){where} without a bypass modifier on {edit.column_2}{note}.",
        line_number=line,
        evidence=evidence,
        fix=f"If the services were separate encounters, add XE (or 59) to {edit.column_2}; otherwise remove it.",
    )


def _same_provider(ctx: ClaimContext, a: ClaimLine, b: ClaimLine) -> bool:
    return (a.rendering_npi or ctx.claim.rendering_npi) == (
        b.rendering_npi or ctx.claim.rendering_npi
    )


class UnitsWithinMue(CheckParams):
    check: Literal["units_within_mue"]


@check(E, UnitsWithinMue)
def units_within_mue(ctx: ClaimContext, p: UnitsWithinMue, env: Env) -> list[Hit]:
    """A code's units on one date stay within its MUE (90853 is one unit a session)."""
    totals: dict[tuple[str, dt.date], Decimal] = defaultdict(Decimal)
    first_line: dict[tuple[str, dt.date], int] = {}
    for line in ctx.claim.lines:
        key = (line.procedure_code, line.service_date)
        totals[key] += line.units
        first_line.setdefault(key, line.line_number)
    hits = []
    for (code, day), billed in totals.items():
        mue = env.tables.mue_for(code, day)
        if mue is not None and billed > mue.units:
            appeal = (
                " (MAI 3: payable above the MUE only on appeal with documentation)"
                if mue.adjudication_indicator == 3
                else ""
            )
            hits.append(
                Hit(
                    message=f"{code} billed {units(billed)} units on {day}; the MUE is {mue.units}{appeal}.",
                    line_number=first_line[(code, day)],
                    evidence={
                        "code": code,
                        "units": units(billed),
                        "mue": mue.units,
                        "mai": mue.adjudication_indicator,
                        "illustrative": mue.illustrative,
                    },
                    fix=f"Bill {mue.units} unit(s) of {code} for the date.",
                )
            )
    return hits


class AddonHasPrimary(CheckParams):
    check: Literal["addon_has_primary"]


@check(E, AddonHasPrimary)
def addon_has_primary(ctx: ClaimContext, p: AddonHasPrimary, env: Env) -> list[Hit]:
    """An add-on code goes with one of its primary codes on the same date, and never with its exclusions."""
    hits = []
    for line in ctx.claim.lines:
        if not env.tables.is_addon(line.procedure_code):
            continue
        rows = env.tables.addon_rows(line.procedure_code, line.service_date)
        same_day = {
            ln.procedure_code
            for ln in ctx.claim.lines
            if ln.service_date == line.service_date and ln is not line
        }
        primaries = {r.other for r in rows if r.relation is AddonRelation.PRIMARY}
        excluded = sorted(
            same_day & {r.other for r in rows if r.relation is AddonRelation.NEVER_WITH}
        )
        evidence = {"addon": line.procedure_code, "with": sorted(same_day)}
        if excluded:
            hits.append(
                Hit(
                    message=f"{line.procedure_code} may not be billed with {', '.join(excluded)}.",
                    line_number=line.line_number,
                    evidence=evidence,
                    fix=f"Remove {line.procedure_code}.",
                )
            )
        elif not same_day & primaries:
            hits.append(
                Hit(
                    message=f"{line.procedure_code} is an add-on code billed without an eligible primary code ({', '.join(sorted(primaries))}).",
                    line_number=line.line_number,
                    evidence=evidence,
                    fix=f"Bill {line.procedure_code} only with its primary service.",
                )
            )
    return hits


class AddonFactorDocumented(CheckParams):
    check: Literal["addon_factor_documented"]
    addon: ProcedureCode = "90785"
    # The language factor is a patient who lacks (or has lost) the language to communicate,
    # reached through play, a device, an interpreter or a translator; translating for a
    # patient whose own language is intact is not it (CPT; HCPro; BCBS-IL).
    interpreting_words: list[str] = Field(default_factory=lambda: ["interpret", "translat"])
    language_capacity_words: list[str] = Field(
        default_factory=lambda: [
            "expressive", "receptive", "aphasi", "nonverbal", "non-verbal", "developmental",
            "play", "device", "toy", "sign language", "lost the ability", "lacks",
        ]
    )  # fmt: skip


@check(E, AddonFactorDocumented)
def addon_factor_documented(ctx: ClaimContext, p: AddonFactorDocumented, env: Env) -> list[Hit]:
    """90785 is billed only for a member whose note names one of the four factors and what was done."""
    hits = []
    for line in ctx.claim.lines:
        if line.procedure_code != p.addon:
            continue
        elements = ctx.note.elements if ctx.note else None
        if elements is None or elements.complexity_factor is None or not elements.complexity_detail:
            what = (
                "no note"
                if elements is None
                else "no interactive-complexity factor and what was done about it"
            )
            hits.append(
                Hit(
                    message=f"{p.addon} is billed but this patient's note documents {what}.",
                    line_number=line.line_number,
                    evidence={"note_id": ctx.note.note_id if ctx.note else None},
                    fix=f"Remove {p.addon}, or document the factor (one of the four), what was done, and why.",
                )
            )
        elif _translation_alone(elements.complexity_factor, elements.complexity_detail, p):
            hits.append(
                Hit(
                    message=(
                        f"{p.addon} is billed for interpretation or translation alone: the note "
                        "does not say the patient lacks the language needed to communicate."
                    ),
                    line_number=line.line_number,
                    evidence={"note_id": ctx.note.note_id if ctx.note else None},
                    fix=f"Remove {p.addon}; interpretation for a patient whose own language is intact is not interactive complexity.",
                )
            )
    return hits


def _translation_alone(factor: ComplexityFactor, detail: str, p: AddonFactorDocumented) -> bool:
    if factor is not ComplexityFactor.LANGUAGE_BARRIER_DEVICE:
        return False
    said = detail.lower()
    interpreting = any(word in said for word in p.interpreting_words)
    return interpreting and not any(word in said for word in p.language_capacity_words)


class TelehealthPosRule(StrEnum):
    TELEHEALTH = "telehealth"  # POS 10 at home, 02 elsewhere
    # As if in person (the location's POS, with modifier 95): Medicare for the PHE
    # rules, 2020-03 through 2023-12-31 (FACTS §16).
    AS_IF_IN_PERSON = "as_if_in_person"


class TelehealthPlaceOfService(CheckParams):
    check: Literal["telehealth_place_of_service"]
    home: str = "10"
    elsewhere: str = "02"
    telehealth_billed: TelehealthPosRule = TelehealthPosRule.TELEHEALTH


@check(E, TelehealthPlaceOfService)
def telehealth_place_of_service(
    ctx: ClaimContext, p: TelehealthPlaceOfService, env: Env
) -> list[Hit]:
    """Telehealth is billed with POS 10 (patient at home) or 02 (elsewhere); in person never with either."""
    session = ctx.session
    if session is None:
        return []
    telehealth = session.modality is not Modality.IN_PERSON
    if telehealth and p.telehealth_billed is TelehealthPosRule.AS_IF_IN_PERSON:
        return _telehealth_as_if_in_person(ctx, session.modality)
    expected = (
        (p.home if session.patient_location is PatientLocation.HOME else p.elsewhere)
        if telehealth
        else None
    )
    hits = []
    for line in ctx.claim.lines:
        pos = line.place_of_service or ctx.claim.place_of_service
        evidence = {
            "place_of_service": pos,
            "modality": session.modality.value,
            "patient_location": session.patient_location.value
            if session.patient_location
            else None,
        }
        if telehealth and pos != expected:
            where = "at home" if session.patient_location is PatientLocation.HOME else "not at home"
            hits.append(
                Hit(
                    message=f"Telehealth with the patient {where} is billed with POS {expected}, not {pos}.",
                    line_number=line.line_number,
                    evidence=evidence,
                    fix=f"Use place of service {expected}.",
                )
            )
        elif not telehealth and pos in TELEHEALTH_POS:
            hits.append(
                Hit(
                    message=f"The session was in person but is billed with telehealth POS {pos}.",
                    line_number=line.line_number,
                    evidence=evidence,
                    fix="Use the place of service where the session was held.",
                )
            )
    return hits


def _telehealth_as_if_in_person(ctx: ClaimContext, modality: Modality) -> list[Hit]:
    return [
        Hit(
            message=(
                f"Telehealth ({modality.value}) on this date is billed with the place of service "
                f"as if in person, with modifier 95, not POS {pos}: POS {pos} may be paid at "
                "the facility rate or denied."
            ),
            line_number=line.line_number,
            evidence={"place_of_service": pos, "modality": modality.value},
            fix="Use the place of service where the clinician would have seen the patient (e.g. 11) with modifier 95.",
        )
        for line in ctx.claim.lines
        if (pos := line.place_of_service or ctx.claim.place_of_service) in TELEHEALTH_POS
    ]


class TelehealthModifiers(CheckParams):
    check: Literal["telehealth_modifiers"]
    codes: list[ProcedureCode] = Field(min_length=1)
    video_requires: list[Modifier] = Field(
        default_factory=list, description="all of these on video visits"
    )
    audio_requires_one_of: list[Modifier] = Field(default_factory=lambda: ["93"])
    forbidden: list[Modifier] = Field(
        default_factory=lambda: ["GT", "GQ", "G0"],
        description="never on a professional claim for these services",
    )
    rhc_fqhc_only: list[Modifier] = Field(default_factory=lambda: ["FQ"])


@check(E, TelehealthModifiers)
def telehealth_modifiers(ctx: ClaimContext, p: TelehealthModifiers, env: Env) -> list[Hit]:
    """The telehealth modifiers fit the payer, the modality and the site (95, 93, FQ only at RHC/FQHC, no GT)."""
    session = ctx.session
    if session is None:
        return []
    rural = ctx.location is not None and ctx.location.kind in (LocationKind.RHC, LocationKind.FQHC)
    hits = []
    for line in ctx.claim.lines:
        if line.procedure_code not in p.codes:
            continue
        problem = _modifier_problem(p, session.modality, set(line.modifiers), rural)
        if problem:
            hits.append(
                Hit(
                    message=problem[0],
                    line_number=line.line_number,
                    evidence={
                        "modifiers": list(line.modifiers),
                        "modality": session.modality.value,
                    },
                    fix=problem[1],
                )
            )
    return hits


def _modifier_problem(
    p: TelehealthModifiers, modality: Modality, mods: set[str], rural: bool
) -> tuple[str, str] | None:
    bad = sorted(mods & set(p.forbidden))
    if bad:
        return (
            f"Modifier {', '.join(bad)} is not used on professional telehealth claims for this service.",
            f"Remove {', '.join(bad)}.",
        )
    site_only = sorted(mods & set(p.rhc_fqhc_only))
    if site_only and not rural:
        return (
            f"Modifier {', '.join(site_only)} is only for rural health clinics and FQHCs.",
            f"Use {' or '.join(p.audio_requires_one_of)} instead.",
        )
    if modality is Modality.IN_PERSON:
        remote = sorted(mods & {"95", "93", "FQ"})
        return (
            (f"Telehealth modifier {', '.join(remote)} on an in-person session.", "Remove it.")
            if remote
            else None
        )
    if modality is Modality.VIDEO:
        missing = [m for m in p.video_requires if m not in mods]
        return (
            (
                f"Video telehealth for this payer needs modifier {', '.join(missing)}.",
                f"Add {', '.join(missing)}.",
            )
            if missing
            else None
        )
    allowed = set(p.audio_requires_one_of) | (set(p.rhc_fqhc_only) if rural else set())
    return (
        None
        if mods & allowed
        else (
            f"Audio-only telehealth needs modifier {' or '.join(sorted(allowed))}.",
            f"Add {sorted(allowed)[0]}.",
        )
    )


def _still_billed(priors: Iterable[PriorService]) -> list[str]:
    """The earlier originals no later void cancelled: a void (frequency 8) withdraws the
    newest original before it, so billing the service again after a void is no duplicate
    (X12 837P CLM05-3; a void cancels the entire claim)."""
    live: list[str] = []
    for prior in sorted(priors, key=lambda s: (s.claim_date, s.claim_id)):
        if prior.frequency_code is FrequencyCode.ORIGINAL:
            live.append(prior.claim_id)
        elif prior.frequency_code is FrequencyCode.VOID and live:
            live.pop()
    return live


class DuplicateService(CheckParams):
    check: Literal["duplicate_service"]


@check(E, DuplicateService)
def duplicate_service(ctx: ClaimContext, p: DuplicateService, env: Env) -> list[Hit]:
    """The same patient, date, code and provider was already billed on an earlier claim."""
    if ctx.claim.frequency_code in (FrequencyCode.REPLACEMENT, FrequencyCode.VOID):
        return []  # a replacement or void refers to the original on purpose
    hits = []
    for line in ctx.claim.lines:
        npi = line.rendering_npi or ctx.claim.rendering_npi
        earlier = _still_billed(
            s
            for s in ctx.history_on(line.service_date)
            if s.procedure_code == line.procedure_code
            and s.rendering_npi == npi
            and (s.claim_date, s.claim_id) < ctx.sort_key
        )
        if earlier:
            hits.append(
                Hit(
                    message=f"{line.procedure_code} on {line.service_date} by {npi} was already billed on claim {earlier[0]}.",
                    line_number=line.line_number,
                    evidence={
                        "procedure_code": line.procedure_code,
                        "service_date": str(line.service_date),
                        "earlier_claims": earlier,
                    },
                    fix="Do not send this claim; correct the original with a replacement (frequency 7) if needed.",
                )
            )
    return hits


class CredentialWindow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    credentials: list[Credential] = Field(min_length=1)
    effective_from: dt.date
    effective_to: dt.date | None = None


class ProviderTypeAllowed(CheckParams):
    check: Literal["provider_type_allowed"]
    allowed: list[CredentialWindow] = Field(min_length=1)


@check(E, ProviderTypeAllowed)
def provider_type_allowed(ctx: ClaimContext, p: ProviderTypeAllowed, env: Env) -> list[Hit]:
    """The payer pays this kind of provider on the date of service (Medicare: MFT and MHC from 2024)."""
    provider = ctx.rendering
    if provider is None or provider.credential is None:
        return []  # step 1 holds a claim whose provider's credential is unknown (DEF-VER-007)
    dos = ctx.service_date
    for window in p.allowed:
        if (
            provider.credential in window.credentials
            and window.effective_from <= dos
            and (window.effective_to is None or dos <= window.effective_to)
        ):
            return []
    starts = [w.effective_from for w in p.allowed if provider.credential in w.credentials]
    since = f"; it pays {provider.credential.value} services from {min(starts)}" if starts else ""
    return [
        Hit(
            message=f"{ctx.claim.payer_id} does not pay services by a {provider.credential.value} on {dos}{since}.",
            evidence={"credential": provider.credential.value, "service_date": str(dos)},
        )
    ]


class CodeValidOnDate(CheckParams):
    check: Literal["code_valid_on_date"]


@check(E, CodeValidOnDate)
def code_valid_on_date(ctx: ClaimContext, p: CodeValidOnDate, env: Env) -> list[Hit]:
    """A code in the validity table is billed only while it exists (deleted codes are refused)."""
    hits = []
    for line in ctx.claim.lines:
        windows = env.tables.validity_of(line.procedure_code)
        if windows and not any(
            w.effective <= line.service_date
            and (w.deleted is None or line.service_date <= w.deleted)
            for w in windows
        ):
            row = windows[-1]
            state = (
                f"was deleted after {row.deleted}"
                if row.deleted and line.service_date > row.deleted
                else f"takes effect {row.effective}"
            )
            hits.append(
                Hit(
                    message=f"{line.procedure_code} {state}; it is not valid on {line.service_date}.",
                    line_number=line.line_number,
                    evidence={"code": line.procedure_code, "source": row.source},
                    fix="Bill the code valid on the date of service.",
                )
            )
    return hits


class PaidUnderFeeSchedule(CheckParams):
    check: Literal["paid_under_fee_schedule"]
    # Statuses with no payment under the physician fee schedule (docs/sources.md §13).
    not_paid: list[PfsStatus] = Field(
        default_factory=lambda: [
            PfsStatus.BUNDLED, PfsStatus.EXCLUDED, PfsStatus.NOT_VALID, PfsStatus.MEASUREMENT,
            PfsStatus.NON_COVERED, PfsStatus.STATUTORY_EXCLUSION, PfsStatus.DELETED,
            PfsStatus.DELETED_NO_GRACE,
        ],
        min_length=1,
    )  # fmt: skip


@check(E, PaidUnderFeeSchedule)
def paid_under_fee_schedule(ctx: ClaimContext, p: PaidUnderFeeSchedule, env: Env) -> list[Hit]:
    """Each line's code is one the payer pays under the physician fee schedule on its date:
    an H-code (status I) or a PHP code (status X) billed to Medicare is never paid."""
    hits = []
    for line in ctx.claim.lines:
        row = env.tables.pfs_status_of(line.procedure_code, line.service_date)
        if row is None or row.status not in p.not_paid:
            continue
        hits.append(
            Hit(
                message=(
                    f"{line.procedure_code} has PFS status {row.status.value} on "
                    f"{line.service_date}: {ctx.claim.payer_id} does not pay it under the "
                    "physician fee schedule."
                ),
                line_number=line.line_number,
                evidence={"procedure_code": line.procedure_code, "status": row.status.value},
                fix="Bill the code this payer pays for the service (e.g. 90853 for group psychotherapy), or bill the payer that covers this code.",
            )
        )
    return hits


class ChargeCoversContract(CheckParams):
    check: Literal["charge_covers_contract"]


@check(E, ChargeCoversContract)
def charge_covers_contract(ctx: ClaimContext, p: ChargeCoversContract, env: Env) -> list[Hit]:
    """Each line is billed at no less than the contract allows: a payer that pays the lesser
    of the charge and the contract amount keeps the difference of an undercharged line."""
    hits = []
    for line in ctx.claim.lines:
        contract = audit.contract_total(ctx, env.tables, line)
        if contract is None or not contract.lesser_of_billed or line.charge >= contract.amount:
            continue
        term = f" ({contract.term})" if contract.term else ""
        hits.append(
            Hit(
                message=(
                    f"{line.procedure_code} is billed at ${line.charge}; the contract allows "
                    f"${contract.amount}{term}, and the payer pays the lesser: "
                    f"${contract.amount - line.charge} left unbilled."
                ),
                line_number=line.line_number,
                evidence={
                    "charge": str(line.charge),
                    "contract_amount": str(contract.amount),
                    "contract": contract.source,
                    "term": contract.term,
                },
            )
        )
    return hits
