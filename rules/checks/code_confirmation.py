"""Step 2, code confirmation: the documented service is the one the code describes.

What happened in the room (the session's type, roster, length and setting) decides the
code. Group psychotherapy of unrelated participants is 90853; several families together
90849; one family 90846 or 90847; one patient 90832, 90834 or 90837 by minutes; a
Medicare partial hospitalization program G0410 or G0411. Psychoeducation, support,
social or skills groups without psychotherapy are not billable as psychotherapy.
Source: AAPC Psychiatry Coding Alert; CPT descriptors (paraphrased); docs/sources.md §1.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rules.checks.base import CheckParams, Env, Hit, check
from rules.codes import LocationKind, Modifier, PlaceOfService, ProcedureCode, SessionType
from rules.context import ClaimContext
from rules.outcomes import Step
from rules.records import ClaimLine

C = Step.CODE_CONFIRMATION
SEPARATE_ENCOUNTER = frozenset({"59", "XE"})


class MinutesBand(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: ProcedureCode
    min_minutes: int = Field(ge=0)
    max_minutes: int | None = None


class CodeMatchesSessionType(CheckParams):
    check: Literal["code_matches_session_type"]
    session_codes: frozenset[ProcedureCode] = Field(
        min_length=1, description="codes that stand for a whole session"
    )
    expected: dict[SessionType, list[ProcedureCode]] = Field(
        description="session type -> codes that fit it; [] = not billable as psychotherapy"
    )
    individual_by_minutes: list[MinutesBand] = Field(default_factory=list)


@check(C, CodeMatchesSessionType)
def code_matches_session_type(ctx: ClaimContext, p: CodeMatchesSessionType, env: Env) -> list[Hit]:
    """The session line's code fits what the session was; other psychotherapy lines are separate services."""
    session = ctx.session
    if session is None:
        return []
    lines = [
        ln
        for ln in ctx.claim.lines
        if ln.procedure_code in p.session_codes
        and not SEPARATE_ENCOUNTER.intersection(ln.modifiers)
    ]
    if not lines:
        return []
    kind = session.session_type
    allowed = _expected_codes(p, kind, session.minutes)
    evidence = {
        "session_id": session.session_id,
        "session_type": kind.value,
        "minutes": session.minutes,
    }
    if kind in p.expected and not allowed:
        label = kind.value.replace("_", " ")
        return [
            Hit(
                message=f"The session was {label}, which is not billable as psychotherapy; the claim bills {ln.procedure_code}.",
                line_number=ln.line_number,
                evidence={**evidence, "billed": ln.procedure_code},
                fix="Do not bill psychotherapy for this session, or bill the payer's code for this service if it has one.",
            )
            for ln in lines
        ]
    if any(ln.procedure_code in allowed for ln in lines):
        return []
    first = lines[0]
    return [
        Hit(
            message=f"The session was {kind.value.replace('_', ' ')} ({session.minutes} min); {first.procedure_code} does not describe it. Expected {' or '.join(allowed) or 'another code'}.",
            line_number=first.line_number,
            evidence={**evidence, "billed": first.procedure_code, "expected": allowed},
            fix=f"Bill {' or '.join(allowed)} if the documentation supports it.",
        )
    ]


def _expected_codes(p: CodeMatchesSessionType, kind: SessionType, minutes: int) -> list[str]:
    if kind is SessionType.INDIVIDUAL and p.individual_by_minutes:
        return [
            b.code
            for b in p.individual_by_minutes
            if b.min_minutes <= minutes and (b.max_minutes is None or minutes <= b.max_minutes)
        ]
    return list(p.expected.get(kind, []))


class SettingRequiresCodes(CheckParams):
    check: Literal["setting_requires_codes"]
    places_of_service: list[PlaceOfService] = Field(default_factory=list)
    location_kinds: list[LocationKind] = Field(default_factory=list)
    instead_of: list[ProcedureCode] = Field(min_length=1)
    required: list[ProcedureCode] = Field(min_length=1)


@check(C, SettingRequiresCodes)
def setting_requires_codes(ctx: ClaimContext, p: SettingRequiresCodes, env: Env) -> list[Hit]:
    """In some settings the payer wants its own codes (Medicare partial hospitalization: G0410/G0411, not 90853)."""
    in_setting = ctx.claim.place_of_service in p.places_of_service or (
        ctx.location is not None and ctx.location.kind in p.location_kinds
    )
    if not in_setting:
        return []
    return [
        Hit(
            message=f"In this setting (POS {ctx.claim.place_of_service}) the payer requires {' or '.join(p.required)} instead of {ln.procedure_code}.",
            line_number=ln.line_number,
            evidence={"place_of_service": ctx.claim.place_of_service, "billed": ln.procedure_code},
            fix=f"Bill {' or '.join(p.required)}.",
        )
        for ln in ctx.claim.lines
        if ln.procedure_code in p.instead_of
    ]


class ModifierRequired(CheckParams):
    check: Literal["modifier_required"]
    codes: list[ProcedureCode] = Field(min_length=1)
    modifier: Modifier


@check(C, ModifierRequired)
def modifier_required(ctx: ClaimContext, p: ModifierRequired, env: Env) -> list[Hit]:
    """The payer wants a modifier on these codes (e.g. HQ for a group setting on Medicaid)."""
    return [
        Hit(
            message=f"{ctx.claim.payer_id} requires modifier {p.modifier} on {ln.procedure_code}.",
            line_number=ln.line_number,
            evidence={"procedure_code": ln.procedure_code, "modifiers": list(ln.modifiers)},
            fix=f"Add modifier {p.modifier}.",
        )
        for ln in ctx.claim.lines
        if ln.procedure_code in p.codes and p.modifier not in ln.modifiers
    ]


class GroupHasParticipants(CheckParams):
    check: Literal["group_has_participants"]
    group_codes: list[ProcedureCode] = Field(min_length=1)
    min_participants: int = Field(default=2, ge=2)


@check(C, GroupHasParticipants)
def group_has_participants(ctx: ClaimContext, p: GroupHasParticipants, env: Env) -> list[Hit]:
    """A group code needs a group: with one patient present the service was individual."""
    if ctx.session is None or len(ctx.session.roster) >= p.min_participants:
        return []
    return [
        Hit(
            message=f"{ln.procedure_code} is a group code, but the roster lists {len(ctx.session.roster)} participant(s).",
            line_number=ln.line_number,
            evidence={"roster_size": len(ctx.session.roster)},
            fix="Bill the individual psychotherapy code that fits the minutes.",
        )
        for ln in _lines(ctx.claim.lines, p.group_codes)
    ]


def _lines(lines: list[ClaimLine], codes: list[str]) -> list[ClaimLine]:
    return [ln for ln in lines if ln.procedure_code in codes]
