"""Code sets and constrained types shared by every layer.

Legal values live in types (StrEnum, constrained strings), so a wrong value is refused
where it enters, with the field's name, instead of deep inside a check.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, StringConstraints


class PayerKind(StrEnum):
    MEDICARE = "medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage"
    MEDICAID_MANAGED_CARE = "medicaid_managed_care"
    COMMERCIAL = "commercial"
    BH_CARVEOUT = "bh_carveout"


class BenefitOrder(StrEnum):
    """Which payer a coverage pays as, for the patient's other coverage (COB)."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"


class Credential(StrEnum):
    MD = "MD"
    DO = "DO"
    PHD = "PhD"
    PSYD = "PsyD"
    LCSW = "LCSW"
    LPC = "LPC"
    LMHC = "LMHC"
    LMFT = "LMFT"
    NP = "NP"
    PA = "PA"


class LocationKind(StrEnum):
    CLINIC = "clinic"
    FQHC = "fqhc"
    RHC = "rhc"
    CMHC = "cmhc"
    HOSPITAL_OUTPATIENT = "hospital_outpatient"
    PARTIAL_HOSPITALIZATION = "partial_hospitalization"


class SessionType(StrEnum):
    """What actually happened in the room, as documented (not what was billed)."""

    GROUP_PSYCHOTHERAPY = "group_psychotherapy"
    MULTIPLE_FAMILY_GROUP = "multiple_family_group"
    FAMILY_WITH_PATIENT = "family_with_patient"
    FAMILY_WITHOUT_PATIENT = "family_without_patient"
    INDIVIDUAL = "individual"
    PSYCHOEDUCATION = "psychoeducation"
    SUPPORT_GROUP = "support_group"
    SKILLS_CLASS = "skills_class"
    SOCIAL_RECREATIONAL = "social_recreational"
    PARTIAL_HOSPITALIZATION_GROUP = "partial_hospitalization_group"


class Modality(StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"
    AUDIO_ONLY = "audio_only"


class PatientLocation(StrEnum):
    """Where the patient was during a telehealth session (decides POS 02 versus 10)."""

    HOME = "home"
    FACILITY = "facility"
    OTHER = "other"


class BhBenefit(StrEnum):
    """Who administers the member's behavioural-health benefit."""

    PLAN = "plan"
    CARVED_OUT = "carved_out"
    NONE = "none"


class AuthKind(StrEnum):
    PRIOR_AUTH = "prior_auth"
    REFERRAL = "referral"


class ComplexityFactor(StrEnum):
    """The four interactive-complexity (90785) factors, paraphrased (docs/sources.md §2)."""

    MALADAPTIVE_COMMUNICATION = "maladaptive_communication"
    CAREGIVER_INTERFERENCE = "caregiver_interference"
    SENTINEL_EVENT = "sentinel_event"
    LANGUAGE_BARRIER_DEVICE = "language_barrier_device"


class FrequencyCode(StrEnum):
    """CLM05-3 claim frequency: original, replacement, void."""

    ORIGINAL = "1"
    REPLACEMENT = "7"
    VOID = "8"


# CPT Category I (5 digits), Category II (4 digits + F), Category III (4 digits + T),
# or HCPCS Level II (a letter A-V + 4 digits). Whether a well-formed code is valid on a
# date is a rule (code validity windows), not an intake question.
ProcedureCode = Annotated[
    str,
    StringConstraints(pattern=r"^([0-9]{5}|[0-9]{4}[FT]|[A-V][0-9]{4})$", strip_whitespace=True),
]
Modifier = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2}$", strip_whitespace=True)]
PlaceOfService = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]


def npi_check_digit(first_nine: str) -> str:
    """The NPI's Luhn check digit (over the prefix 80840 and the first nine digits)."""
    total = 24  # the Luhn contribution of the card-issuer prefix 80840
    for index, char in enumerate(reversed(first_nine)):
        digit = int(char) * (2 if index % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return str((10 - total % 10) % 10)


@lru_cache(maxsize=4096)  # a practice has few NPIs and sends each thousands of times
def _npi_valid(value: str) -> str:
    if npi_check_digit(value[:9]) != value[9]:
        raise ValueError(f"NPI check digit is {npi_check_digit(value[:9])}, not {value[9]}")
    return value


Npi = Annotated[str, StringConstraints(pattern=r"^[0-9]{10}$"), AfterValidator(_npi_valid)]
Taxonomy = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{9}X$")]
UsState = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
# A Medicare payment locality as CMS's GPCI file keys it: MAC (5 digits) - locality (2).
MedicareLocality = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}-[0-9]{2}$")]
RecordId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$", strip_whitespace=True)
]
# A claim's id is its 837P CLM01, the patient control number the payer echoes in CLP01:
# practices' systems write spaces, '#' and '/' in it ("R03996273 #01").
ClaimId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._:/#-]{0,63}$", strip_whitespace=True)
]

# Codes the product is built around; used by the generator and the code-confirmation step.
GROUP_PSYCHOTHERAPY = "90853"
MULTIPLE_FAMILY_GROUP = "90849"
FAMILY_WITHOUT_PATIENT = "90846"
FAMILY_WITH_PATIENT = "90847"
INTERACTIVE_COMPLEXITY = "90785"
INDIVIDUAL_PSYCHOTHERAPY = ("90832", "90834", "90837")
PHP_GROUP = ("G0410", "G0411")
TELEHEALTH_POS = ("02", "10")
