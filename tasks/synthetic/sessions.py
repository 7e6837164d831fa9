"""One group meeting: its session record, each attendee's note and claim, and the defects.

Clean output follows the coding the shipped rule files expect (illustrative payer policy):
POS by where the patient was, modifier 95 on video for every payer but Medicare, 93 on
audio-only (FQ at an FQHC), HQ on Texas Medicaid group lines, 90785 only with a
documented factor. A planted defect changes exactly one of those facts.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import Any

from rules.codes import LocationKind
from tasks.synthetic import catalog as cat
from tasks.synthetic.defects import Defect
from tasks.synthetic.world import (
    PatientInfo,
    ProviderInfo,
    auth_record,
    coverage_record,
    patient_records,
    rng_for,
)

LOCATION_KIND = {loc[0]: loc[3] for loc in cat.LOCATIONS}
LOCATION_POS = {loc[0]: loc[4] for loc in cat.LOCATIONS}
REQUIRED_ELEMENTS = (
    "treatment_plan_goal",
    "participation",
    "response",
    "intervention",
    "medical_necessity",
    "therapeutic_focus",
    "start_time",
)


@dataclass(frozen=True)
class Group:
    index: int
    location_id: str
    facilitator: ProviderInfo
    members: tuple[PatientInfo, ...]
    reserves: tuple[PatientInfo, ...]
    start: dt.time
    minutes: int
    modality: str
    patient_location: str | None
    focus: str
    intervention: str
    # A multiple-family group (90849): members come with a relative who shares their surname,
    # and each note names the patient's relative. Clean by design: it is what the privacy
    # and group-size checks must tell from a breach.
    family: bool = False


@dataclass
class Meeting:
    """Everything one group meeting writes, in file order, plus its ground truth."""

    records: list[dict[str, Any]] = field(default_factory=list)
    truth: list[tuple[str, Defect, str]] = field(default_factory=list)
    claims: int = 0


@dataclass
class MeetingPlan:
    seed: int
    group: Group
    week: int
    date: dt.date
    rates: dict[Defect, float]
    claim_budget: int
    start: dt.date = dt.date(2026, 11, 2)
    introduced: set[str] = field(default_factory=set)  # reserve patients already written

    def build(self) -> Meeting:
        rng = rng_for(self.seed, "meeting", self.group.index, self.week)
        meeting = Meeting()
        session_defect = None if self.group.family else self._session_defect(rng)
        attendees = self._attendees(rng, session_defect)
        for person in attendees:
            # Reserve (drop-in) patients are written the first time one of them attends.
            if person in self.group.reserves and person.patient_id not in self.introduced:
                meeting.records += patient_records(self.seed, person, self.start)
                self.introduced.add(person.patient_id)
        session_id = f"GS-{self.seed}-{self.group.index:06d}-{self.week:03d}"
        meeting.records.append(self._session(session_id, attendees, session_defect))
        cloned = (
            self._cloned_subset(rng, attendees) if session_defect is Defect.CLONED_NOTE else set()
        )
        for position, person in enumerate(attendees):
            if meeting.claims >= self.claim_budget:
                break
            defect: Defect | None = (
                session_defect if session_defect is not Defect.CLONED_NOTE else None
            )
            if person.patient_id in cloned:
                defect = Defect.CLONED_NOTE
            if defect is None and not self.group.family:
                defect = self._claim_defect(rng, person)
            self._attendee(rng, meeting, session_id, position, attendees, defect, cloned)
        return meeting

    # ------------------------------------------------------------ choosing defects

    def _session_defect(self, rng: random.Random) -> Defect | None:
        for defect in (
            Defect.WRONG_CODE_FOR_SESSION_TYPE,
            Defect.GROUP_OVER_MAX,
            Defect.CLONED_NOTE,
        ):
            if defect is Defect.GROUP_OVER_MAX and len(self.group.members) < 9:
                continue
            if rng.random() < self.rates[defect]:
                return defect
        return None

    def _claim_defect(self, rng: random.Random, person: PatientInfo) -> Defect | None:
        telehealth = self.group.modality != "in_person"
        for defect, rate in self.rates.items():
            if defect in (
                Defect.WRONG_CODE_FOR_SESSION_TYPE,
                Defect.GROUP_OVER_MAX,
                Defect.CLONED_NOTE,
            ):
                continue
            if (
                defect in (Defect.AUTH_MISSING, Defect.AUTH_EXPIRED, Defect.AUTH_EXHAUSTED)
                and not person.needs_auth
            ):
                continue
            if defect is Defect.CARVEOUT_BILLED_TO_PLAN and not person.carved_out:
                continue
            if defect is Defect.MEDICAID_BILLED_FIRST and not _medicaid(person):
                continue
            if defect is Defect.MEDICARE_CODE_NOT_PAYABLE and (
                person.billed_payer != "medicare" or telehealth
            ):
                continue
            if (
                defect in (Defect.TELEHEALTH_POS_WRONG, Defect.TELEHEALTH_MODIFIER_WRONG)
                and not telehealth
            ):
                continue
            if rng.random() < rate:
                return defect
        return None

    def _attendees(self, rng: random.Random, defect: Defect | None) -> list[PatientInfo]:
        if defect is Defect.GROUP_OVER_MAX:
            extra = rng.randint(13, 14) - len(self.group.members)
            return [*self.group.members, *self.group.reserves[:extra]]
        present = [p for p in self.group.members if rng.random() < 0.9]
        return present if len(present) >= 2 else list(self.group.members[:2])

    def _cloned_subset(self, rng: random.Random, attendees: list[PatientInfo]) -> set[str]:
        size = rng.randint(2, len(attendees))
        return {p.patient_id for p in rng.sample(attendees, size)}

    # ------------------------------------------------------------ records

    def _session(
        self, session_id: str, attendees: list[PatientInfo], defect: Defect | None
    ) -> dict[str, Any]:
        g = self.group
        end = (dt.datetime.combine(self.date, g.start) + dt.timedelta(minutes=g.minutes)).time()
        session_type = "multiple_family_group" if g.family else "group_psychotherapy"
        if defect is Defect.WRONG_CODE_FOR_SESSION_TYPE:
            session_type = rng_for(self.seed, "type", session_id).choice(
                ["psychoeducation", "support_group", "multiple_family_group", "social_recreational"]
            )
        record: dict[str, Any] = {
            "type": "group_session",
            "session_id": session_id,
            "location_id": g.location_id,
            "service_date": self.date.isoformat(),
            "start_time": g.start.isoformat(),
            "end_time": end.isoformat(),
            "session_type": session_type,
            "modality": g.modality,
            "facilitator_npis": [g.facilitator.npi],
            "roster": [p.patient_id for p in attendees],
            "recorded_group_size": len(attendees),
        }
        if g.patient_location:
            record["patient_location"] = g.patient_location
        return record

    def _attendee(
        self,
        rng: random.Random,
        meeting: Meeting,
        session_id: str,
        position: int,
        attendees: list[PatientInfo],
        defect: Defect | None,
        cloned: set[str],
    ) -> None:
        person = attendees[position]
        claim_id = f"CL-{session_id[3:]}-{position + 1:02d}"
        factor = (
            rng.choice(list(cat.COMPLEXITY))
            if defect is None and rng.random() < 0.08 and not self.group.family
            else None
        )
        meeting.records += self._pre_claim_records(person, claim_id, defect)
        note = self._note(rng, session_id, person, attendees, defect, factor, cloned)
        meeting.records.append(note)
        claim = self._claim(claim_id, session_id, person, defect, factor is not None)
        if defect is None and _medicaid(person) and rng.random() < CROSSOVER_RATE:
            # A clean crossover: Medicare paid first, and the Medicaid claim says so (2320).
            meeting.records.append(self._medicare_coverage(person, claim_id))
            claim["prior_payer_id"] = "medicare"
            claim["prior_payer_paid"] = "18.40"
        meeting.records.append(claim)
        meeting.claims += 1
        if defect is not None and defect is not Defect.DUPLICATE_CLAIM:
            meeting.truth.append((claim_id, defect, _detail(defect, note, claim)))
        if defect is None and rng.random() < VOID_RATE and meeting.claims + 2 <= self.claim_budget:
            meeting.records += _voided_and_rebilled(claim)
            meeting.claims += 2
        if defect is Defect.DUPLICATE_CLAIM and meeting.claims < self.claim_budget:
            duplicate = {**claim, "claim_id": f"{claim_id}-D", "claim_date": claim["claim_date"]}
            duplicate["lines"] = [
                {**ln, "line_control_number": f"{claim_id}-D-{ln['line_number']}"}
                for ln in claim["lines"]
            ]
            meeting.records.append(duplicate)
            meeting.claims += 1
            meeting.truth.append((duplicate["claim_id"], defect, f"duplicates {claim_id}"))

    def _medicare_coverage(self, person: PatientInfo, claim_id: str) -> dict[str, Any]:
        """Medicare coverage of a Medicaid member (a dual eligible) for this date of service
        only, so the member's other claims are not this claim's case."""
        rng = rng_for(self.seed, "dual", claim_id)
        record = coverage_record(person, rng, self.date, self.date, f"COV-{claim_id}-MCR")
        return {**record, "plan_id": "medicare_part_b", "bh_benefit": "plan", "copay": "0.00",
                "coinsurance_pct": "20.00"}  # fmt: skip

    def _pre_claim_records(
        self, person: PatientInfo, claim_id: str, defect: Defect | None
    ) -> list[dict[str, Any]]:
        rng = rng_for(self.seed, "pre", claim_id)
        if defect is Defect.MEDICAID_BILLED_FIRST:
            return [self._medicare_coverage(person, claim_id)]
        if defect is Defect.COVERAGE_LAPSED:
            end = self.date - dt.timedelta(days=rng.randint(5, 60))
            return [coverage_record(person, rng, dt.date(2019, 1, 1), end, f"COV-{claim_id}-OLD")]
        if defect is Defect.AUTH_EXPIRED:
            end = self.date - dt.timedelta(days=rng.randint(1, 45))
            return [
                auth_record(
                    person,
                    f"PX{claim_id.replace('-', '')}",
                    end - dt.timedelta(days=180),
                    end,
                    10,
                    24,
                )
            ]
        if defect is Defect.AUTH_EXHAUSTED:
            start = self.date - dt.timedelta(days=60)
            return [
                auth_record(
                    person,
                    f"PE{claim_id.replace('-', '')}",
                    start,
                    start + dt.timedelta(days=365),
                    12,
                    12,
                )
            ]
        return []

    def _note(
        self,
        rng: random.Random,
        session_id: str,
        person: PatientInfo,
        attendees: list[PatientInfo],
        defect: Defect | None,
        factor: str | None,
        cloned: set[str],
    ) -> dict[str, Any]:
        g = self.group
        # Each note gets its own pair of participation and of response phrases, so two
        # honest notes share at most one phrase of each; cloned notes all take the first pair.
        slot = 0 if person.patient_id in cloned else 1 + attendees.index(person)
        phrases = _phrase_pairs(self.seed, session_id, len(attendees) + 1)
        participation = "; ".join(cat.PARTICIPATION[i] for i in phrases[0][slot])
        response = "; ".join(cat.RESPONSE[i] for i in phrases[1][slot])
        progress = rng_for(self.seed, "progress", session_id, slot).choice(cat.PROGRESS)
        if defect is Defect.COMEMBER_NAMED_IN_NOTE:
            other = next(p for p in attendees if p.patient_id != person.patient_id)
            participation += f"; responded to feedback from {other.first_name} {other.last_name}"
        relative = next(
            (p for p in attendees if g.family and p.last_name == person.last_name and p != person),
            None,
        )
        if relative is not None:
            participation += (
                f"; practised listening with {relative.first_name} {relative.last_name}"
            )
        end = (dt.datetime.combine(self.date, g.start) + dt.timedelta(minutes=g.minutes)).time()
        elements: dict[str, Any] = {
            "start_time": g.start.isoformat(),
            "end_time": end.isoformat(),
            "therapeutic_focus": g.focus,
            "diagnosis_codes": [person.primary_dx],
            "treatment_plan_goal": person.goal,
            "participation": participation,
            "response": response,
            "intervention": g.intervention,
            "medical_necessity": f"Group psychotherapy addresses symptoms of {person.primary_dx} that impair daily functioning.",
            "group_size": len(attendees),
            "provider_credential": g.facilitator.credential.value,
            "signed_by_npi": g.facilitator.npi,
        }
        if g.modality != "in_person":
            elements["telehealth_details"] = (
                f"{g.modality.replace('_', ' ')} session; patient at {g.patient_location}; consent on file"
            )
        if person.needs_auth:
            elements["authorization_number"] = person.auth_number
        if factor is not None:
            elements["complexity_factor"] = factor
            elements["complexity_detail"] = cat.COMPLEXITY[factor]
        if defect is Defect.MISSING_NOTE_ELEMENT:
            elements.pop(
                rng_for(self.seed, "drop", session_id, person.patient_id).choice(REQUIRED_ELEMENTS)
            )
        # Notes open with whose they are, as practices write them: the patient's own name
        # (its surname shared with another member in about a third of groups) is no breach.
        text = (
            f"Group progress note for {person.first_name} {person.last_name}. "
            f"Focus: {g.focus}. Intervention: {g.intervention}. Participation: {participation}. "
            f"Response: {response}. {progress}. Goal: {person.goal}."
        )
        return {
            "type": "note",
            "note_id": f"NT-{session_id[3:]}-{person.patient_id[3:]}",
            "session_id": session_id,
            "patient_id": person.patient_id,
            "author_npi": g.facilitator.npi,
            "signed_on": self.date.isoformat(),
            "elements": elements,
            "text": text,
        }

    def _claim(
        self,
        claim_id: str,
        session_id: str,
        person: PatientInfo,
        defect: Defect | None,
        has_factor: bool,
    ) -> dict[str, Any]:
        g = self.group
        payer = person.billed_payer
        if defect is Defect.CARVEOUT_BILLED_TO_PLAN:
            payer = person.plan.payer_id
        pos, modifiers = _coding(payer, g.modality, g.patient_location, g.location_id)
        if defect is Defect.TELEHEALTH_POS_WRONG:
            pos = {"02": "10", "10": "02"}[pos]
        if defect is Defect.TELEHEALTH_MODIFIER_WRONG:
            modifiers = [m for m in modifiers if m not in ("95", "93", "FQ")] + ["GT"]
        if payer == "pecan_tx_medicaid":
            modifiers = ["HQ", *modifiers]
        diagnoses = [person.primary_dx] + ([person.secondary_z] if person.secondary_z else [])
        if defect is Defect.Z_CODE_PRIMARY:
            diagnoses = [person.secondary_z or "Z63.0", person.primary_dx]
        if defect is Defect.DIAGNOSIS_NOT_DOCUMENTED:
            diagnoses[0] = next(d for d in cat.PRIMARY_DIAGNOSES if d != person.primary_dx)
        lines = [
            _line(
                claim_id,
                1,
                # H0004 documents group therapy for Medicaid; Medicare pays none (status I).
                "H0004"
                if defect is Defect.MEDICARE_CODE_NOT_PAYABLE
                else ("90849" if g.family else "90853"),
                modifiers,
                2 if defect is Defect.EXCESS_UNITS else 1,
                self.date,
            )
        ]
        if (
            has_factor and defect is not Defect.MEDICARE_CODE_NOT_PAYABLE
        ) or defect is Defect.ADDON_WITHOUT_FACTOR:
            lines.append(
                _line(claim_id, 2, "90785", [m for m in modifiers if m != "HQ"], 1, self.date)
            )
        if defect is Defect.NCCI_PAIR_WITHOUT_MODIFIER:
            lines.append(_line(claim_id, len(lines) + 1, "90832", [], 1, self.date))
        auth = None
        if person.needs_auth and defect is not Defect.AUTH_MISSING:
            prefix = (
                {Defect.AUTH_EXPIRED: "PX", Defect.AUTH_EXHAUSTED: "PE"}.get(defect)
                if defect
                else None
            )
            auth = f"{prefix}{claim_id.replace('-', '')}" if prefix else person.auth_number
        coverage = f"COV-{claim_id}-OLD" if defect is Defect.COVERAGE_LAPSED else person.coverage_id
        claim_date = self.date + dt.timedelta(
            days=1 + rng_for(self.seed, "lag", claim_id).randrange(3)
        )
        record: dict[str, Any] = {
            "type": "claim",
            "claim_id": claim_id,
            "claim_date": claim_date.isoformat(),
            "patient_id": person.patient_id,
            "coverage_id": coverage,
            "payer_id": payer,
            "billing_npi": g.facilitator.npi,
            "rendering_npi": g.facilitator.npi,
            "location_id": g.location_id,
            "session_id": session_id,
            "place_of_service": pos,
            "diagnoses": diagnoses,
            "lines": lines,
        }
        if auth:
            record["prior_auth_number"] = auth
        if person.needs_referral and payer == person.plan.payer_id:
            record["referral_number"] = person.referral_number
        return record


@lru_cache(maxsize=64)
def _phrase_pairs(
    seed: int, session_id: str, count: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Distinct unordered phrase pairs for the notes of one session."""
    rng = rng_for(seed, "phrases", session_id)
    participation = rng.sample(list(combinations(range(len(cat.PARTICIPATION)), 2)), count)
    response = rng.sample(list(combinations(range(len(cat.RESPONSE)), 2)), count)
    return participation, response


def _coding(
    payer: str, modality: str, patient_location: str | None, location_id: str
) -> tuple[str, list[str]]:
    """The clean place of service and telehealth modifiers for this payer and modality."""
    if modality == "in_person":
        return LOCATION_POS[location_id], []
    pos = "10" if patient_location == "home" else "02"
    if modality == "audio_only":
        fqhc = LOCATION_KIND[location_id] in (LocationKind.FQHC, LocationKind.RHC)
        return pos, ["FQ" if fqhc else "93"]
    return pos, ([] if payer == "medicare" else ["95"])


def _line(
    claim_id: str, number: int, code: str, modifiers: list[str], units: int, date: dt.date
) -> dict[str, Any]:
    return {
        "line_number": number,
        "procedure_code": code,
        "modifiers": modifiers,
        "units": str(units),
        "charge": str(float(cat.CHARGES[code]) * units) if units > 1 else cat.CHARGES[code],
        "diagnosis_pointers": [1],
        "service_date": date.isoformat(),
        "line_control_number": f"{claim_id}-{number}",
    }


VOID_RATE = 0.01  # claims the practice voids (CLM05-3 8, REF*F8) and bills again, cleanly
CROSSOVER_RATE = 0.05  # Medicaid members who are also on Medicare, billed in the right order
MEDICAID_PAYERS = frozenset({"pecan_tx_medicaid", "dogwood_va_medicaid"})


def _voided_and_rebilled(claim: dict[str, Any]) -> list[dict[str, Any]]:
    """A void of the claim, naming the payer's claim number, then the service billed again as
    a new original: neither is a duplicate, and both are clean."""
    sent = dt.date.fromisoformat(claim["claim_date"])

    def copy(suffix: str, frequency: str, days: int) -> dict[str, Any]:
        claim_id = f"{claim['claim_id']}-{suffix}"
        lines = [
            {**ln, "line_control_number": f"{claim_id}-{ln['line_number']}"}
            for ln in claim["lines"]
        ]
        return {**claim, "claim_id": claim_id, "frequency_code": frequency, "lines": lines,
                "claim_date": (sent + dt.timedelta(days=days)).isoformat()}  # fmt: skip

    void = copy("V", "8", 5)
    void["payer_claim_control_number"] = f"ICN{claim['claim_id'][3:].replace('-', '')}"
    return [void, copy("N", "1", 7)]


def _medicaid(person: PatientInfo) -> bool:
    return person.billed_payer in MEDICAID_PAYERS


def _detail(defect: Defect, note: dict[str, Any], claim: dict[str, Any]) -> str:
    if defect is Defect.MISSING_NOTE_ELEMENT:
        missing = [e for e in REQUIRED_ELEMENTS if e not in note["elements"]]
        return f"missing {missing[0]}"
    if defect is Defect.Z_CODE_PRIMARY:
        return f"primary {claim['diagnoses'][0]}"
    if defect is Defect.DIAGNOSIS_NOT_DOCUMENTED:
        return f"bills {claim['diagnoses'][0]}, note documents {note['elements']['diagnosis_codes'][0]}"
    return ""
