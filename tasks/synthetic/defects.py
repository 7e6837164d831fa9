"""The defects the generator plants, the lifecycle step that must catch each, and rates."""

from __future__ import annotations

from enum import StrEnum

from rules.outcomes import Step


class Defect(StrEnum):
    AUTH_MISSING = "auth_missing"
    AUTH_EXPIRED = "auth_expired"
    AUTH_EXHAUSTED = "auth_exhausted"
    COVERAGE_LAPSED = "coverage_lapsed"
    CARVEOUT_BILLED_TO_PLAN = "carveout_billed_to_plan"
    WRONG_CODE_FOR_SESSION_TYPE = "wrong_code_for_session_type"
    CLONED_NOTE = "cloned_note"
    MISSING_NOTE_ELEMENT = "missing_note_element"
    COMEMBER_NAMED_IN_NOTE = "comember_named_in_note"
    Z_CODE_PRIMARY = "z_code_primary"
    GROUP_OVER_MAX = "group_over_max"
    ADDON_WITHOUT_FACTOR = "addon_without_factor"
    NCCI_PAIR_WITHOUT_MODIFIER = "ncci_pair_without_modifier"
    EXCESS_UNITS = "excess_units"
    TELEHEALTH_POS_WRONG = "telehealth_pos_wrong"
    TELEHEALTH_MODIFIER_WRONG = "telehealth_modifier_wrong"
    DUPLICATE_CLAIM = "duplicate_claim"
    MEDICAID_BILLED_FIRST = "medicaid_billed_first"  # a dual-eligible member's Medicare unbilled
    DIAGNOSIS_NOT_DOCUMENTED = "diagnosis_not_documented"  # the claim's dx is not the note's
    MEDICARE_CODE_NOT_PAYABLE = "medicare_code_not_payable"  # an H-code (PFS status I) to Medicare


STEP_OF = {
    Defect.AUTH_MISSING: Step.VERIFICATION,
    Defect.AUTH_EXPIRED: Step.VERIFICATION,
    Defect.AUTH_EXHAUSTED: Step.VERIFICATION,
    Defect.COVERAGE_LAPSED: Step.VERIFICATION,
    Defect.CARVEOUT_BILLED_TO_PLAN: Step.VERIFICATION,
    Defect.WRONG_CODE_FOR_SESSION_TYPE: Step.CODE_CONFIRMATION,
    Defect.CLONED_NOTE: Step.DOCUMENTATION,
    Defect.MISSING_NOTE_ELEMENT: Step.DOCUMENTATION,
    Defect.COMEMBER_NAMED_IN_NOTE: Step.DOCUMENTATION,
    Defect.Z_CODE_PRIMARY: Step.DOCUMENTATION,
    Defect.GROUP_OVER_MAX: Step.DOCUMENTATION,
    Defect.ADDON_WITHOUT_FACTOR: Step.CODING_EDITS,
    Defect.NCCI_PAIR_WITHOUT_MODIFIER: Step.CODING_EDITS,
    Defect.EXCESS_UNITS: Step.CODING_EDITS,
    Defect.TELEHEALTH_POS_WRONG: Step.CODING_EDITS,
    Defect.TELEHEALTH_MODIFIER_WRONG: Step.CODING_EDITS,
    Defect.DUPLICATE_CLAIM: Step.CODING_EDITS,
    Defect.MEDICAID_BILLED_FIRST: Step.VERIFICATION,
    Defect.DIAGNOSIS_NOT_DOCUMENTED: Step.DOCUMENTATION,
    Defect.MEDICARE_CODE_NOT_PAYABLE: Step.CODING_EDITS,
}

# Session-level defects touch every (or several) claims of one group meeting.
SESSION_DEFECTS = (Defect.WRONG_CODE_FOR_SESSION_TYPE, Defect.GROUP_OVER_MAX, Defect.CLONED_NOTE)

# Defaults: about one claim in six carries a defect, a realistic pre-scrub error rate.
DEFAULT_RATES: dict[Defect, float] = {d: (0.02 if d in SESSION_DEFECTS else 0.01) for d in Defect}


def parse_rates(items: list[str], *, default_scale: float | None = None) -> dict[Defect, float]:
    """Parse ['auth_missing=0.05', ...] over the defaults; `default_scale` rescales all defaults."""
    rates = dict(DEFAULT_RATES)
    if default_scale is not None:
        rates = {d: default_scale * (2 if d in SESSION_DEFECTS else 1) / 1.0 for d in Defect}
    for item in items:
        name, _, value = item.partition("=")
        try:
            defect = Defect(name.strip())
        except ValueError:
            known = ", ".join(d.value for d in Defect)
            raise ValueError(f"unknown defect {name!r}; known defects: {known}") from None
        rate = float(value)
        if not 0 <= rate <= 1:
            raise ValueError(f"rate for {defect} must be between 0 and 1 (got {rate})")
        rates[defect] = rate
    return rates
