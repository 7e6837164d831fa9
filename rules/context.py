"""What the checks see of one claim: the claim and everything it refers to, as plain values.

A ClaimContext is built by tasks/ from the claim database, or in memory from packet
records (`ContextIndex`, for tests and benchmarks). The checks read only this; they never
query anything, so the same context always gives the same findings.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from rules.codes import BenefitOrder, FrequencyCode, PayerKind
from rules.records import (
    Authorization,
    Claim,
    Coverage,
    GroupSession,
    Location,
    Patient,
    Payer,
    Plan,
    Provider,
    Record,
    SessionNote,
)
from rules.remit import RemitClaim, effective, merge_split


@dataclass(frozen=True, slots=True, kw_only=True)
class PriorService:
    """A line billed on another claim for the same patient, used for duplicates and frequency."""

    claim_id: str
    claim_date: dt.date
    service_date: dt.date
    procedure_code: str
    modifiers: tuple[str, ...]
    units: Decimal
    rendering_npi: str
    frequency_code: FrequencyCode


@dataclass(frozen=True, slots=True)
class OtherCoverage:
    """Another coverage of the patient: who pays under it, as what, and when."""

    coverage_id: str
    payer_id: str
    payer_kind: PayerKind | None
    order: BenefitOrder
    effective_from: dt.date
    effective_to: dt.date | None

    def active_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


@dataclass(frozen=True, slots=True)
class Participant:
    """Another member of the patient's group session: id and the names a note must not carry."""

    patient_id: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class ClaimContext:
    claim: Claim
    payer: Payer | None
    coverage: Coverage | None
    plan: Plan | None
    patient: Patient | None
    rendering: Provider | None
    location: Location | None
    session: GroupSession | None = None
    note: SessionNote | None = None
    peer_notes: tuple[SessionNote, ...] = ()
    participants: tuple[Participant, ...] = ()
    authorizations: tuple[Authorization, ...] = ()
    history: tuple[PriorService, ...] = ()
    remittance: RemitClaim | None = None
    # Every 835 answer to the claim, oldest first (reversals included): `remittance` is what
    # stands of them, these are how it came to be.
    postings: tuple[RemitClaim, ...] = ()
    # The patient's coverages other than the one billed (coordination of benefits).
    other_coverage: tuple[OtherCoverage, ...] = ()

    @property
    def service_date(self) -> dt.date:
        return self.claim.service_date

    @cached_property
    def _history_by_date(self) -> dict[dt.date, tuple[PriorService, ...]]:
        by_date: dict[dt.date, list[PriorService]] = defaultdict(list)
        for service in self.history:
            by_date[service.service_date].append(service)
        return {day: tuple(services) for day, services in by_date.items()}

    def history_on(self, day: dt.date) -> tuple[PriorService, ...]:
        """Other claims' lines for this patient on one date of service."""
        return self._history_by_date.get(day, ())

    @cached_property
    def sort_key(self) -> tuple[dt.date, str]:
        """The order in which claims were made; 'already billed' means earlier in this order."""
        return (self.claim.claim_date, self.claim.claim_id)


@dataclass
class Lookups:
    """Everything a claim's context is assembled from, keyed for lookup by id."""

    payers: dict[str, Payer] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    patients: dict[str, Patient] = field(default_factory=dict)
    coverage: dict[str, Coverage] = field(default_factory=dict)
    sessions: dict[str, GroupSession] = field(default_factory=dict)
    notes_by_session: dict[str, list[SessionNote]] = field(
        default_factory=lambda: defaultdict(list)
    )
    auths_by_patient: dict[str, list[Authorization]] = field(
        default_factory=lambda: defaultdict(list)
    )
    lines_by_patient: dict[str, list[PriorService]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # claim id -> its postings (835 CLPs matched to it), in the order they arrived
    postings: dict[str, list[RemitClaim]] = field(default_factory=dict)
    # patient id -> coverage id -> coverage: every coverage of the patient
    coverage_by_patient: dict[str, dict[str, Coverage]] = field(
        default_factory=lambda: defaultdict(dict)
    )


def assemble(claim: Claim, look: Lookups) -> ClaimContext:
    """The claim's context: what it refers to, its session's notes and people, its history."""
    coverage = look.coverage.get(claim.coverage_id)
    session = look.sessions.get(claim.session_id) if claim.session_id else None
    notes = look.notes_by_session.get(claim.session_id or "", ())
    others = (
        look.patients.get(pid)
        for pid in (session.roster if session else ())
        if pid != claim.patient_id
    )
    return ClaimContext(
        claim=claim,
        payer=look.payers.get(claim.payer_id),
        coverage=coverage,
        plan=look.plans.get(coverage.plan_id) if coverage else None,
        patient=look.patients.get(claim.patient_id),
        rendering=look.providers.get(claim.rendering_npi),
        location=look.locations.get(claim.location_id),
        session=session,
        note=next((n for n in notes if n.patient_id == claim.patient_id), None),
        peer_notes=tuple(n for n in notes if n.patient_id != claim.patient_id),
        participants=tuple(
            Participant(p.patient_id, p.first_name, p.last_name) for p in others if p is not None
        ),
        authorizations=tuple(look.auths_by_patient.get(claim.patient_id, ())),
        history=tuple(
            s
            for s in look.lines_by_patient.get(claim.patient_id, ())
            if s.claim_id != claim.claim_id
        ),
        remittance=_remittance(look.postings.get(claim.claim_id)),
        postings=tuple(look.postings.get(claim.claim_id, ())),
        other_coverage=tuple(
            _other(c, look)
            for c in look.coverage_by_patient.get(claim.patient_id, {}).values()
            if c.coverage_id != claim.coverage_id
        ),
    )


def _other(coverage: Coverage, look: Lookups) -> OtherCoverage:
    plan = look.plans.get(coverage.plan_id)
    # A carved-out behavioural-health benefit is paid by the carve-out's administrator.
    payer_id = coverage.carveout_payer_id or (plan.payer_id if plan else "")
    payer = look.payers.get(payer_id)
    return OtherCoverage(
        coverage_id=coverage.coverage_id,
        payer_id=payer_id,
        payer_kind=payer.kind if payer else None,
        order=coverage.benefit_order,
        effective_from=coverage.effective_from,
        effective_to=coverage.effective_to,
    )


def _remittance(postings: list[RemitClaim] | None) -> RemitClaim | None:
    """The claim's standing answer: reversals netted out, a split line audited as its sum."""
    standing = effective(postings) if postings else None
    if standing is None:
        return None
    return standing.model_copy(update={"lines": merge_split(list(standing.lines))})


@dataclass
class ContextIndex(Lookups):
    """Build contexts from packet records held in memory (tests, scoring, benchmarks)."""

    claims: list[Claim] = field(default_factory=list)

    def add(self, records: Iterable[Record]) -> ContextIndex:
        for record in records:
            self._add(record)
        return self

    def _add(self, record: Record) -> None:
        match record:
            case Payer():
                self.payers[record.payer_id] = record
            case Plan():
                self.plans[record.plan_id] = record
            case Location():
                self.locations[record.location_id] = record
            case Provider():
                self.providers[record.npi] = record
            case Patient():
                self.patients[record.patient_id] = record
            case Coverage():
                self.coverage[record.coverage_id] = record
                self.coverage_by_patient[record.patient_id][record.coverage_id] = record
            case Authorization():
                self.auths_by_patient[record.patient_id].append(record)
            case GroupSession():
                self.sessions[record.session_id] = record
            case SessionNote():
                self.notes_by_session[record.session_id].append(record)
            case Claim():
                self.claims.append(record)
                self.lines_by_patient[record.patient_id].extend(prior_services(record))

    def contexts(self) -> Iterator[ClaimContext]:
        for claim in self.claims:
            yield assemble(claim, self)

    def context(self, claim: Claim) -> ClaimContext:
        return assemble(claim, self)


def prior_services(claim: Claim) -> list[PriorService]:
    """The lines of a claim as others see them in their history."""
    return [
        PriorService(
            claim_id=claim.claim_id,
            claim_date=claim.claim_date,
            service_date=line.service_date,
            procedure_code=line.procedure_code,
            modifiers=tuple(line.modifiers),
            units=line.units,
            rendering_npi=line.rendering_npi or claim.rendering_npi,
            frequency_code=claim.frequency_code,
        )
        for line in claim.lines
    ]
