"""The claim packet: every record type ClaimGuard takes in, as typed Pydantic models.

A packet file is JSON Lines: one record per line, each an object whose `type` names the
record type and whose `format` names the packet version. Master data (payers, plans,
locations, providers, patients, coverage, authorizations) and events (group sessions,
notes, claims) are loaded the same way. Cross-record checks (a claim's patient exists,
a note is not dated after its claim) belong to intake, not to these models.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from rules import icd10
from rules.codes import (
    AuthKind,
    BenefitOrder,
    BhBenefit,
    ClaimId,
    ComplexityFactor,
    Credential,
    FrequencyCode,
    LocationKind,
    MedicareLocality,
    Modality,
    Modifier,
    Npi,
    PatientLocation,
    PayerKind,
    PlaceOfService,
    ProcedureCode,
    RecordId,
    SessionType,
    Taxonomy,
    UsState,
)

PACKET_FORMAT: Final = "claimguard.packet/1"

# Dates before ICD-10-CM (2015-10-01) or far in the future are typing errors, not claims.
EARLIEST_SERVICE_DATE = dt.date(2015, 10, 1)
LATEST_DATE = dt.date(2099, 12, 31)


def refuse(expected: str, found: str) -> PydanticCustomError:
    """A validation error that says what was expected and what was found, in those words."""
    return PydanticCustomError(
        "claimguard", "expected {expected}; found {found}", {"expected": expected, "found": found}
    )


def _icd10_billable(code: str) -> str:
    reason = icd10.problem(code)
    if reason is not None:
        raise refuse("a billable ICD-10-CM code", f"{code!r}, {reason}")
    return icd10.normalize(code)


def _service_date(value: dt.date) -> dt.date:
    if not EARLIEST_SERVICE_DATE <= value <= LATEST_DATE:
        raise refuse(f"a date from {EARLIEST_SERVICE_DATE} to {LATEST_DATE}", str(value))
    return value


def _not_before(start_field: str) -> classmethod[Any, Any, Any]:
    """A field validator: this end date (or time) is not before the record's start field."""

    def check(cls: type, value: Any, info: ValidationInfo) -> Any:
        start = info.data.get(start_field)
        if value is not None and start is not None and value < start:
            raise refuse(f"a value on or after {start_field} ({start})", str(value))
        return value

    return classmethod(check)


Icd10Code = Annotated[str, AfterValidator(_icd10_billable)]
ServiceDate = Annotated[dt.date, AfterValidator(_service_date)]


def _ascii_number(value: Any) -> Any:
    # Python reads Arabic-Indic or fullwidth digits as numbers; a claim is written in 0-9.
    if isinstance(value, str) and not value.isascii():
        raise refuse("a number in the digits 0-9", "other characters")
    return value


AsciiDecimal = Annotated[Decimal, BeforeValidator(_ascii_number)]
Money = Annotated[AsciiDecimal, Field(ge=0, le=Decimal("9999999.99"), decimal_places=2)]
Percent = Annotated[AsciiDecimal, Field(ge=0, le=100, decimal_places=2)]


class Record(BaseModel):
    """Base of every packet record: strict about unknown fields, immutable once read."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    format: Literal["claimguard.packet/1"] = PACKET_FORMAT
    type: str


# ---------------------------------------------------------------- master data


class Payer(Record):
    type: Literal["payer"]
    payer_id: RecordId
    name: str = Field(min_length=1, max_length=120)
    kind: PayerKind


class Plan(Record):
    type: Literal["plan"]
    plan_id: RecordId
    payer_id: RecordId
    name: str = Field(min_length=1, max_length=120)
    state: UsState | None = None
    covers_group_psychotherapy: bool = True
    covers_telehealth: bool = True


class Location(Record):
    type: Literal["location"]
    location_id: RecordId
    name: str = Field(min_length=1, max_length=120)
    state: UsState
    kind: LocationKind = LocationKind.CLINIC
    place_of_service: PlaceOfService = "11"
    npi: Npi | None = Field(default=None, description="the service facility's NPI (837P 2310C)")
    medicare_locality: MedicareLocality | None = Field(
        default=None,
        description="the Medicare payment locality it is in, MAC-locality as in CMS's GPCI "
        "file (e.g. 04412-31); without one, Medicare amounts are national",
    )


class Enrollment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    payer_id: RecordId
    effective_from: dt.date
    effective_to: dt.date | None = None
    _to_after_from = field_validator("effective_to")(_not_before("effective_from"))


class Provider(Record):
    type: Literal["provider"]
    npi: Npi
    last_name: str = Field(min_length=1, max_length=60)
    first_name: str = Field(min_length=1, max_length=60)
    # Unknown when the provider came from an 837P whose taxonomy does not say it (251S00000X,
    # a community behavioral-health agency): step 1 then asks for it (DEF-VER-007).
    credential: Credential | None = None
    taxonomy: Taxonomy | None = None  # an 837P need not send one (PRV is situational)
    license_state: UsState
    supervisor_npi: Npi | None = None
    enrollments: list[Enrollment] = Field(default_factory=list, max_length=50)


class Patient(Record):
    """Only what the checks need: names (the privacy check), birth date, sex."""

    type: Literal["patient"]
    patient_id: RecordId
    last_name: str = Field(min_length=1, max_length=60)
    first_name: str = Field(min_length=1, max_length=60)
    birth_date: dt.date = Field(ge=dt.date(1900, 1, 1), le=LATEST_DATE)
    sex: Literal["F", "M", "U"] = "U"


class Coverage(Record):
    type: Literal["coverage"]
    coverage_id: RecordId
    patient_id: RecordId
    plan_id: RecordId
    member_id: str = Field(min_length=1, max_length=40)
    effective_from: dt.date
    effective_to: dt.date | None = None
    bh_benefit: BhBenefit = BhBenefit.PLAN
    carveout_payer_id: RecordId | None = Field(default=None, validate_default=True)
    copay: Money = Decimal("0")
    coinsurance_pct: Percent = Decimal("0")
    deductible: Money = Decimal("0")
    deductible_met: Money = Decimal("0")
    reported_by_claim: bool = Field(
        default=False,
        description="known only from an 837P's subscriber loop: eligibility not yet verified",
    )
    benefit_order: BenefitOrder = Field(
        default=BenefitOrder.PRIMARY,
        description="the order of benefits on file (eligibility response, intake form) "
        "when the patient has other coverage",
    )
    _to_after_from = field_validator("effective_to")(_not_before("effective_from"))

    @field_validator("carveout_payer_id")
    @classmethod
    def _carveout_names_administrator(cls, value: str | None, info: ValidationInfo) -> str | None:
        carved = info.data.get("bh_benefit") is BhBenefit.CARVED_OUT
        if carved and value is None:
            raise refuse(
                "the carve-out administrator's payer_id (bh_benefit is carved_out)", "none"
            )
        if not carved and value is not None:
            raise refuse("no carve-out administrator unless bh_benefit is carved_out", value)
        return value


class Authorization(Record):
    type: Literal["authorization"]
    auth_number: RecordId
    kind: AuthKind = AuthKind.PRIOR_AUTH
    patient_id: RecordId
    payer_id: RecordId
    procedure_codes: list[ProcedureCode] = Field(min_length=1, max_length=20)
    units_approved: int = Field(ge=0, le=10000)
    units_used: int = Field(ge=0, le=10000)
    start_date: dt.date
    end_date: dt.date
    rendering_npi: Npi | None = None
    _end_after_start = field_validator("end_date")(_not_before("start_date"))


# ---------------------------------------------------------------- events


class GroupSession(Record):
    type: Literal["group_session"]
    session_id: RecordId
    location_id: RecordId
    service_date: ServiceDate
    start_time: dt.time
    end_time: dt.time
    session_type: SessionType
    modality: Modality = Modality.IN_PERSON
    patient_location: PatientLocation | None = Field(default=None, validate_default=True)
    facilitator_npis: list[Npi] = Field(min_length=1, max_length=4)
    roster: list[RecordId] = Field(min_length=1, max_length=60)
    recorded_group_size: int | None = Field(default=None, ge=1, le=60)

    @field_validator("end_time")
    @classmethod
    def _ends_after_start(cls, value: dt.time, info: ValidationInfo) -> dt.time:
        start = info.data.get("start_time")
        if start is not None and value <= start:
            raise refuse(f"a time after start_time ({start})", str(value))
        return value

    @field_validator("roster")
    @classmethod
    def _roster_unique(cls, value: list[str]) -> list[str]:
        twice = sorted({pid for pid in value if value.count(pid) > 1})
        if twice:
            raise refuse("each participant once", f"{twice[0]} listed more than once")
        return value

    @field_validator("patient_location")
    @classmethod
    def _location_for_telehealth(
        cls, value: PatientLocation | None, info: ValidationInfo
    ) -> PatientLocation | None:
        telehealth = info.data.get("modality", Modality.IN_PERSON) is not Modality.IN_PERSON
        if telehealth and value is None:
            raise refuse(
                "where the patient was (home, facility, other) for a telehealth session", "none"
            )
        return value

    @property
    def minutes(self) -> int:
        start = dt.datetime.combine(self.service_date, self.start_time)
        return int((dt.datetime.combine(self.service_date, self.end_time) - start).seconds // 60)


class NoteElements(BaseModel):
    """The structured elements of one patient's note (docs/sources.md §7 and the source article).

    Every element is optional here: a missing element is a documentation finding for
    step 3, not a reason to refuse the note at intake.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    start_time: dt.time | None = None
    end_time: dt.time | None = None
    therapeutic_focus: str | None = Field(default=None, max_length=500)
    diagnosis_codes: list[Icd10Code] = Field(default_factory=list, max_length=12)
    treatment_plan_goal: str | None = Field(default=None, max_length=1000)
    participation: str | None = Field(default=None, max_length=4000)
    response: str | None = Field(default=None, max_length=4000)
    intervention: str | None = Field(default=None, max_length=1000)
    medical_necessity: str | None = Field(default=None, max_length=2000)
    group_size: int | None = Field(default=None, ge=1, le=60)
    provider_credential: Credential | None = None
    supervisor_npi: Npi | None = None
    telehealth_details: str | None = Field(default=None, max_length=500)
    authorization_number: RecordId | None = None
    complexity_factor: ComplexityFactor | None = None
    complexity_detail: str | None = Field(default=None, max_length=2000)
    signed_by_npi: Npi | None = None


class SessionNote(Record):
    type: Literal["note"]
    note_id: RecordId
    session_id: RecordId
    patient_id: RecordId
    author_npi: Npi
    signed_on: ServiceDate
    elements: NoteElements
    text: str = Field(default="", max_length=20000)


class ClaimLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    line_number: int = Field(ge=1, le=50)
    procedure_code: ProcedureCode
    modifiers: list[Modifier] = Field(default_factory=list, max_length=4)
    units: AsciiDecimal = Field(gt=0, le=999, decimal_places=2)
    charge: Money
    diagnosis_pointers: list[int] = Field(min_length=1, max_length=4)
    place_of_service: PlaceOfService | None = None
    service_date: ServiceDate
    line_control_number: str | None = Field(default=None, min_length=1, max_length=50)
    rendering_npi: Npi | None = None
    prior_auth_number: RecordId | None = None


class Claim(Record):
    type: Literal["claim"]
    claim_id: ClaimId
    claim_date: ServiceDate
    patient_id: RecordId
    coverage_id: RecordId
    payer_id: RecordId
    billing_npi: Npi
    rendering_npi: Npi
    location_id: RecordId
    session_id: RecordId | None = None
    place_of_service: PlaceOfService
    frequency_code: FrequencyCode = FrequencyCode.ORIGINAL
    payer_claim_control_number: str | None = Field(default=None, max_length=50)
    prior_auth_number: RecordId | None = None
    referral_number: RecordId | None = None
    # A claim to a later payer carries the earlier payer's adjudication (837P 2320/2330B).
    prior_payer_id: RecordId | None = Field(
        default=None, description="the payer that adjudicated first (837P 2330B NM1*PR)"
    )
    prior_payer_paid: Money | None = Field(
        default=None, description="what that payer paid (837P 2320 AMT*D; 0 if nothing)"
    )
    diagnoses: list[Icd10Code] = Field(min_length=1, max_length=12)
    lines: list[ClaimLine] = Field(min_length=1, max_length=50)

    @field_validator("lines")
    @classmethod
    def _lines_consistent(cls, lines: list[ClaimLine], info: ValidationInfo) -> list[ClaimLine]:
        numbers = [line.line_number for line in lines]
        if len(set(numbers)) != len(numbers):
            raise refuse("a different line_number on every line", f"line numbers {numbers}")
        diagnoses = info.data.get("diagnoses")
        claim_date = info.data.get("claim_date")
        for line in lines:
            bad = [p for p in line.diagnosis_pointers if diagnoses and not 1 <= p <= len(diagnoses)]
            if bad:
                raise refuse(
                    f"diagnosis pointers from 1 to {len(diagnoses or [])} (the claim's diagnoses)",
                    f"line {line.line_number} points to {bad[0]}",
                )
            if claim_date is not None and line.service_date > claim_date:
                raise refuse(
                    f"service dates on or before claim_date ({claim_date})",
                    f"line {line.line_number} on {line.service_date}",
                )
        # Lines are kept in line-number order: the order they were sent in means nothing.
        return sorted(lines, key=lambda line: line.line_number)

    @cached_property
    def service_date(self) -> dt.date:
        return min(line.service_date for line in self.lines)

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0"))


MasterRecord = Payer | Plan | Location | Provider | Patient | Coverage | Authorization
EventRecord = GroupSession | SessionNote | Claim
PacketRecord = Annotated[MasterRecord | EventRecord, Field(discriminator="type")]


class PacketLine(BaseModel):
    """The shape of one JSON Lines record; used to validate and to publish the schema."""

    model_config = ConfigDict(frozen=True)
    record: PacketRecord


def packet_json_schema() -> dict[str, Any]:
    """The JSON Schema of one packet record (a JSON Lines line), for validators and editors."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(PacketRecord).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://claimguard.example/schemas/claim-packet-1.json"
    schema["title"] = "ClaimGuard claim packet record, format claimguard.packet/1"
    return schema
