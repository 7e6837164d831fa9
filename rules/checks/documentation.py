"""Step 3, documentation, judged per patient: each patient's own note must carry the claim.

Sources: NGS CERT "Psychiatry and Psychology Services"; LCD L33632 (group size, at most 12
participants); Oklahoma Medicaid OAC 317:30-5-278.1 (per-unit elements); HIPAA on other
participants' privacy; docs/sources.md §6-8.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator

from rules import similarity
from rules.checks.base import CheckParams, Env, Hit, check
from rules.codes import (
    FAMILY_WITH_PATIENT,
    FAMILY_WITHOUT_PATIENT,
    GROUP_PSYCHOTHERAPY,
    MULTIPLE_FAMILY_GROUP,
    Modality,
    ProcedureCode,
)
from rules.context import ClaimContext, Participant
from rules.outcomes import Severity, Step
from rules.records import NoteElements, SessionNote

D = Step.DOCUMENTATION
NOTE_ELEMENTS = tuple(NoteElements.model_fields)


class NoteOnFile(CheckParams):
    check: Literal["note_on_file"]


@check(D, NoteOnFile)
def note_on_file(ctx: ClaimContext, p: NoteOnFile, env: Env) -> list[Hit]:
    """There is a session and a note written for this patient; without them nothing supports the claim."""
    if ctx.session is None:
        return [
            Hit(
                message="No group session or note is on file for this claim (a claim from an 837 carries none); documentation cannot be checked.",
                fix="Load the session and this patient's note (a claim packet with the same claim_id).",
            )
        ]
    if ctx.note is None:
        return [
            Hit(
                message=f"No note for this patient is on file for session {ctx.session.session_id}.",
                evidence={"session_id": ctx.session.session_id},
                fix="Load this patient's note for the session.",
            )
        ]
    return []


class NoteElementsPresent(CheckParams):
    check: Literal["note_elements_present"]
    elements: list[str] = Field(min_length=1)

    @field_validator("elements")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [e for e in value if e not in NOTE_ELEMENTS]
        if unknown:
            raise ValueError(
                f"unknown note element {unknown[0]!r}; elements are {', '.join(NOTE_ELEMENTS)}"
            )
        return value


@check(D, NoteElementsPresent)
def note_elements_present(ctx: ClaimContext, p: NoteElementsPresent, env: Env) -> list[Hit]:
    """Each required element is documented in this patient's note."""
    if ctx.note is None:
        return []
    elements = ctx.note.elements
    return [
        Hit(
            message=f"Note {ctx.note.note_id} does not document {name.replace('_', ' ')}.",
            evidence={"note_id": ctx.note.note_id, "element": name},
            fix=f"Add the {name.replace('_', ' ')} for this patient to the note.",
        )
        for name in p.elements
        if getattr(elements, name) in (None, "", [])
    ]


class NoteSignedByRendering(CheckParams):
    check: Literal["note_signed_by_rendering"]


@check(D, NoteSignedByRendering)
def note_signed_by_rendering(ctx: ClaimContext, p: NoteSignedByRendering, env: Env) -> list[Hit]:
    """The note is signed by the rendering provider or the provider's supervisor."""
    note = ctx.note
    if note is None:
        return []
    signer = note.elements.signed_by_npi
    allowed = {ctx.claim.rendering_npi} | (
        {ctx.rendering.supervisor_npi} if ctx.rendering and ctx.rendering.supervisor_npi else set()
    )
    if signer in allowed:
        return []
    found = "unsigned" if signer is None else f"signed by {signer}"
    return [
        Hit(
            message=f"Note {note.note_id} is {found}; it must be signed by the rendering provider {ctx.claim.rendering_npi}.",
            evidence={"note_id": note.note_id, "signed_by_npi": signer},
        )
    ]


class PrimaryDiagnosisSupports(CheckParams):
    check: Literal["primary_diagnosis_supports"]
    codes: list[ProcedureCode] = Field(min_length=1)
    allowed_prefixes: list[str] = Field(
        min_length=1, description="e.g. F: ICD-10-CM chapter 5, F01-F99"
    )
    never_primary_prefixes: list[str] = Field(
        default_factory=list, description="e.g. Z: factor codes are secondary"
    )


@check(D, PrimaryDiagnosisSupports)
def primary_diagnosis_supports(
    ctx: ClaimContext, p: PrimaryDiagnosisSupports, env: Env
) -> list[Hit]:
    """The diagnosis each psychotherapy line points to first is a mental-health diagnosis, never a Z code."""
    hits = []
    for line in ctx.claim.lines:
        if line.procedure_code not in p.codes:
            continue
        dx = ctx.claim.diagnoses[line.diagnosis_pointers[0] - 1]
        evidence = {"procedure_code": line.procedure_code, "primary_diagnosis": dx}
        if any(dx.startswith(z) for z in p.never_primary_prefixes):
            hits.append(
                Hit(
                    message=f"{line.procedure_code} points first to {dx}, a factor (Z) code; Z codes may support but not justify psychotherapy.",
                    line_number=line.line_number,
                    evidence=evidence,
                    fix="Point the line first to the mental-health diagnosis treated (F01-F99); keep the Z code as secondary.",
                )
            )
        elif not any(dx.startswith(a) for a in p.allowed_prefixes):
            hits.append(
                Hit(
                    message=f"{line.procedure_code} points first to {dx}, outside {', '.join(p.allowed_prefixes)}.",
                    line_number=line.line_number,
                    evidence=evidence,
                )
            )
    return hits


class NotesNotCloned(CheckParams):
    check: Literal["notes_not_cloned"]
    threshold: float = Field(default=0.8, gt=0, le=1)


@check(D, NotesNotCloned)
def notes_not_cloned(ctx: ClaimContext, p: NotesNotCloned, env: Env) -> list[Hit]:
    """This patient's individual note content is not a copy of another participant's (see rules/similarity.py)."""
    if ctx.note is None:
        return []
    names = [n for person in ctx.participants for n in (person.first_name, person.last_name)]
    if ctx.patient:
        names += [ctx.patient.first_name, ctx.patient.last_name]
    drop = _name_words(tuple(sorted(names)))
    mine = _note_shingles(ctx.note.elements.participation, ctx.note.elements.response, drop)
    matches = []
    for peer in ctx.peer_notes:
        score = similarity.jaccard(
            mine, _note_shingles(peer.elements.participation, peer.elements.response, drop)
        )
        if score >= p.threshold:
            matches.append((peer.note_id, round(score, 2)))
    if not matches:
        return []
    ids = ", ".join(m[0] for m in matches)
    return [
        Hit(
            message=f"Note {ctx.note.note_id} repeats the individual content of {ids} (similarity {max(m[1] for m in matches):.2f} ≥ {p.threshold:.2f}).",
            evidence={
                "note_id": ctx.note.note_id,
                "matches": [{"note_id": i, "similarity": s} for i, s in matches],
            },
            fix="Document this patient's own participation and response.",
        )
    ]


@lru_cache(maxsize=16384)
def _note_shingles(
    participation: str | None, response: str | None, drop: frozenset[str]
) -> frozenset[tuple[str, ...]]:
    # Keyed by the note's own string objects (their hashes are cached), so a session's
    # notes are shingled once however many times they are compared.
    return similarity.shingles_without(f"{participation or ''} {response or ''}", drop)


@lru_cache(maxsize=4096)
def _name_words(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(w.lower() for n in names for w in re.findall(r"[A-Za-z]+", n))


# Given names that are everyday English words, so a note may use them as words.
COMMON_WORD_NAMES = frozenset(
    {"Art", "April", "Bill", "Bob", "Buck", "Chance", "Dawn", "Faith", "Grace", "Guy",
     "Hope", "Joy", "June", "Mark", "Max", "May", "Pat", "Rich", "Rose", "Sky", "Sue",
     "Summer", "Will", "Win", "Woody"}
)  # fmt: skip


class NoteNamesNoOtherParticipant(CheckParams):
    check: Literal["note_names_no_other_participant"]
    # Family psychotherapy is about the patient's relatives: naming them is the point.
    family_codes: list[ProcedureCode] = Field(
        default_factory=lambda: [FAMILY_WITHOUT_PATIENT, FAMILY_WITH_PATIENT]
    )
    # First names that are also everyday words: alone, they are a warning, not a name.
    common_word_names: list[str] = Field(default_factory=lambda: sorted(COMMON_WORD_NAMES))


@check(D, NoteNamesNoOtherParticipant)
def note_names_no_other_participant(
    ctx: ClaimContext, p: NoteNamesNoOtherParticipant, env: Env
) -> list[Hit]:
    """A patient's note does not name another participant (a privacy breach in that patient's record).

    Whole names count: the full name (an initial for the first name will do), the surname
    when no one else in the room or the patient shares it, the first name when no one else
    shares it and it is not an everyday word (then a warning). The patient's own names, the
    clinician's, and in a multiple-family group the patient's family's are not another
    participant's. Possessives ("Brannigan's") are the name. The finding names the other
    participant by patient id only.
    """
    note = ctx.note
    if note is None or not ctx.participants:
        return []
    if any(line.procedure_code in p.family_codes for line in ctx.claim.lines):
        return []
    words = _note_words(note)
    own = _own_names(ctx)
    hits = []
    for person in ctx.participants:
        if person.last_name in own["last"] and any(
            line.procedure_code == MULTIPLE_FAMILY_GROUP for line in ctx.claim.lines
        ):
            continue  # the patient's own family, in a multiple-family group
        match = _named(person, ctx, words, own)
        if match is None:
            continue
        held = match != "first_name" or person.first_name not in p.common_word_names
        hits.append(
            Hit(
                message=f"Note {note.note_id} contains {_SAID[match]} of another participant (patient {person.patient_id}).",
                evidence={
                    "note_id": note.note_id,
                    "other_patient_id": person.patient_id,
                    "match": match,
                },
                fix="Remove the other participant's name; refer to 'another group member'.",
                severity=None if held else Severity.WARNING,
            )
        )
    return hits


_SAID = {"full_name": "the name", "last_name": "the surname", "first_name": "the first name"}


def _named(
    person: Participant,
    ctx: ClaimContext,
    words: tuple[str, ...],
    own: dict[str, frozenset[str]],
) -> str | None:
    """How the note names `person`: "full_name", "last_name", "first_name" or None."""
    last_parts = _name_parts(person.last_name)
    present = set(words)
    if not last_parts <= present and person.first_name not in present:
        return None
    if last_parts <= present and _first_before_last(person, words):
        # Two people of the very same name: in the patient's note it is the patient's own.
        full = f"{person.first_name} {person.last_name}"
        return None if full in own["full"] else "full_name"
    others = [o for o in ctx.participants if o.patient_id != person.patient_id]
    if last_parts <= present and person.last_name not in own["last"] | own["first"] | {
        o.last_name for o in others
    }:
        return "last_name"
    # A word that is the patient's or the clinician's own name (first or last) is theirs.
    first_shared = person.first_name in own["first"] | own["last"] | {o.first_name for o in others}
    if person.first_name in present and not first_shared:
        return "first_name"
    return None


def _first_before_last(person: Participant, words: tuple[str, ...]) -> bool:
    """The first name (or its initial) just before the surname: "Tobias Brannigan", "T. Brannigan"."""
    first_last = _name_parts(person.last_name)
    for i, word in enumerate(words[1:], start=1):
        if word in first_last and (
            words[i - 1] == person.first_name or words[i - 1] == person.first_name[:1]
        ):
            return True
    return False


def _own_names(ctx: ClaimContext) -> dict[str, frozenset[str]]:
    """The patient's and the clinician's names: never another participant's."""
    people = [person for person in (ctx.patient, ctx.rendering) if person is not None]
    return {
        "first": frozenset(person.first_name for person in people),
        "last": frozenset(person.last_name for person in people),
        "full": frozenset(f"{person.first_name} {person.last_name}" for person in people),
    }


def _note_words(note: SessionNote) -> tuple[str, ...]:
    e = note.elements
    return _words(
        (
            e.participation,
            e.response,
            e.therapeutic_focus,
            e.treatment_plan_goal,
            e.intervention,
            e.medical_necessity,
            e.telehealth_details,
            e.complexity_detail,
            note.text,
        )
    )


@lru_cache(maxsize=4096)
def _name_parts(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"[A-Za-zÀ-ÿ'-]+", name))


@lru_cache(maxsize=4096)
def _words(parts: tuple[str | None, ...]) -> tuple[str, ...]:
    """The text's words in order; a possessive is its name ("Smith's" and "Smiths'" are
    Smith), an initial its letter ("T." is T)."""
    text = " ".join(part for part in parts if part)
    return tuple(
        re.sub(r"(?:['\u2019]s|s['\u2019]|['\u2019])$", "", word)
        for word in re.findall(r"[A-Za-zÀ-ÿ'\u2019-]+", text)
    )


class GroupSizeWithin(CheckParams):
    check: Literal["group_size_within"]
    min_size: int = Field(default=2, ge=1)
    max_size: int = Field(ge=2)
    require_documented: bool = True
    # The codes whose session is a group of patients: family psychotherapy (90846/90847)
    # has the patient and relatives, and no group size.
    codes: list[ProcedureCode] = Field(default_factory=lambda: [GROUP_PSYCHOTHERAPY], min_length=1)


@check(D, GroupSizeWithin)
def group_size_within(ctx: ClaimContext, p: GroupSizeWithin, env: Env) -> list[Hit]:
    """The group's size is documented, matches the roster, and is within the payer's range."""
    session = ctx.session
    if session is None or not any(line.procedure_code in p.codes for line in ctx.claim.lines):
        return []
    size = len(session.roster)
    evidence = {
        "session_id": session.session_id,
        "roster_size": size,
        "min": p.min_size,
        "max": p.max_size,
    }
    hits = []
    if not p.min_size <= size <= p.max_size:
        hits.append(
            Hit(
                message=f"The group had {size} participants; {ctx.claim.payer_id} allows {p.min_size} to {p.max_size}.",
                evidence=evidence,
                fix="Split groups larger than the payer's maximum.",
            )
        )
    documented = ctx.note.elements.group_size if ctx.note else None
    if p.require_documented and ctx.note is not None and documented != size:
        found = "not documented" if documented is None else f"documented as {documented}"
        hits.append(
            Hit(
                message=f"The group size is {found} in note {ctx.note.note_id}; the roster lists {size}.",
                evidence={**evidence, "documented": documented},
                fix="Record the number of participants in the note.",
            )
        )
    return hits


class CredentialsDocumented(CheckParams):
    check: Literal["credentials_documented"]


@check(D, CredentialsDocumented)
def credentials_documented(ctx: ClaimContext, p: CredentialsDocumented, env: Env) -> list[Hit]:
    """The note records the rendering provider's credential and, where there is one, the supervisor."""
    note, provider = ctx.note, ctx.rendering
    if note is None or provider is None:
        return []
    hits = []
    # An unknown credential on file is step 1's to ask for (DEF-VER-007), not a mismatch.
    if (
        provider.credential is not None
        and note.elements.provider_credential is not provider.credential
    ):
        found = (
            note.elements.provider_credential.value if note.elements.provider_credential else "none"
        )
        hits.append(
            Hit(
                message=f"Note {note.note_id} records credential {found}; the rendering provider is {provider.credential.value}.",
                evidence={
                    "note_id": note.note_id,
                    "documented": found,
                    "on_file": provider.credential.value,
                },
            )
        )
    if provider.supervisor_npi and note.elements.supervisor_npi != provider.supervisor_npi:
        hits.append(
            Hit(
                message=f"Note {note.note_id} does not name the supervising provider {provider.supervisor_npi}.",
                evidence={"note_id": note.note_id, "supervisor_npi": provider.supervisor_npi},
            )
        )
    return hits


class TelehealthDocumented(CheckParams):
    check: Literal["telehealth_documented"]


@check(D, TelehealthDocumented)
def telehealth_documented(ctx: ClaimContext, p: TelehealthDocumented, env: Env) -> list[Hit]:
    """A telehealth session's note says how it was held and where the patient was."""
    if ctx.note is None or ctx.session is None or ctx.session.modality is Modality.IN_PERSON:
        return []
    if ctx.note.elements.telehealth_details:
        return []
    return [
        Hit(
            message=f"Note {ctx.note.note_id} is for a {ctx.session.modality.value.replace('_', ' ')} session but records no telehealth details.",
            evidence={"note_id": ctx.note.note_id, "modality": ctx.session.modality.value},
            fix="Record the modality, the patient's location and consent.",
        )
    ]


class DiagnosesDocumented(CheckParams):
    check: Literal["diagnoses_documented"]
    # The chapters compared: mental-health diagnoses (ICD-10-CM F01-F99). Z codes are
    # primary_diagnosis_supports's business.
    chapters: list[str] = Field(default_factory=lambda: ["F"], min_length=1)


@check(D, DiagnosesDocumented)
def diagnoses_documented(ctx: ClaimContext, p: DiagnosesDocumented, env: Env) -> list[Hit]:
    """Each diagnosis the claim's lines point to is one this patient's note documents: a
    claim billing F41.1 on a note that records only F33.1 is unsupported."""
    note = ctx.note
    if note is None or not note.elements.diagnosis_codes:
        return []
    documented = {_dx(code) for code in note.elements.diagnosis_codes}
    pointed = {
        ctx.claim.diagnoses[pointer - 1]
        for line in ctx.claim.lines
        for pointer in line.diagnosis_pointers
        if 1 <= pointer <= len(ctx.claim.diagnoses)
    }
    missing = sorted(
        code for code in pointed if code[:1].upper() in p.chapters and _dx(code) not in documented
    )
    if not missing:
        return []
    return [
        Hit(
            message=(
                f"The claim bills {', '.join(missing)}, which note {note.note_id} does not "
                f"document (it records {', '.join(note.elements.diagnosis_codes)})."
            ),
            evidence={"note_id": note.note_id, "claim_only": missing},
            fix="Bill the diagnosis the note documents, or amend the note if the diagnosis was assessed.",
        )
    ]


def _dx(code: str) -> str:
    return code.replace(".", "").upper()
