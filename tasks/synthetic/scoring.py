"""Score the checks against the generator's ground truth: precision and recall per defect.

A claim is flagged for a defect kind when a held finding comes from a check that looks for
that kind. Precision: flagged claims that really carry the kind. Recall: planted claims
that were flagged. A clean claim (nothing planted) must never be held.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rules.context import ClaimContext
from rules.engine import StepResult
from rules.loader import RuleSet
from rules.outcomes import CheckpointStatus, Severity
from tasks.synthetic.defects import Defect

# Which check looks for which planted defect.
KIND_OF_CHECK = {
    "coverage_active": Defect.COVERAGE_LAPSED,
    "billed_to_responsible_payer": Defect.CARVEOUT_BILLED_TO_PLAN,
    "auth_number_on_claim": Defect.AUTH_MISSING,
    "auth_valid_for_service": Defect.AUTH_MISSING,
    "auth_in_date_range": Defect.AUTH_EXPIRED,
    "auth_units_remaining": Defect.AUTH_EXHAUSTED,
    "code_matches_session_type": Defect.WRONG_CODE_FOR_SESSION_TYPE,
    "note_elements_present": Defect.MISSING_NOTE_ELEMENT,
    "primary_diagnosis_supports": Defect.Z_CODE_PRIMARY,
    "notes_not_cloned": Defect.CLONED_NOTE,
    "note_names_no_other_participant": Defect.COMEMBER_NAMED_IN_NOTE,
    "group_size_within": Defect.GROUP_OVER_MAX,
    "ncci_pairs": Defect.NCCI_PAIR_WITHOUT_MODIFIER,
    "units_within_mue": Defect.EXCESS_UNITS,
    "addon_factor_documented": Defect.ADDON_WITHOUT_FACTOR,
    "telehealth_place_of_service": Defect.TELEHEALTH_POS_WRONG,
    "telehealth_modifiers": Defect.TELEHEALTH_MODIFIER_WRONG,
    "duplicate_service": Defect.DUPLICATE_CLAIM,
    "payers_in_order": Defect.MEDICAID_BILLED_FIRST,
    "diagnoses_documented": Defect.DIAGNOSIS_NOT_DOCUMENTED,
    "paid_under_fee_schedule": Defect.MEDICARE_CODE_NOT_PAYABLE,
}


@dataclass
class Score:
    planted: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    flagged: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    clean_held: set[str] = field(default_factory=set)
    unmapped_holds: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    claims: int = 0

    def precision(self, kind: str) -> float:
        flagged = self.flagged[kind]
        return len(flagged & self.planted[kind]) / len(flagged) if flagged else 1.0

    def recall(self, kind: str) -> float:
        planted = self.planted[kind]
        return len(self.flagged[kind] & planted) / len(planted) if planted else 1.0

    def table(self) -> str:
        rows = [f"{'defect':32} {'planted':>8} {'flagged':>8} {'precision':>9} {'recall':>7}"]
        for kind in sorted(set(self.planted) | set(self.flagged)):
            rows.append(
                f"{kind:32} {len(self.planted[kind]):>8} {len(self.flagged[kind]):>8} {self.precision(kind):>9.3f} {self.recall(kind):>7.3f}"
            )
        clean = (
            self.claims - len(set().union(*self.planted.values())) if self.planted else self.claims
        )
        rows.append(
            f"clean claims: {clean}; clean claims held: {len(self.clean_held)}; holds by rules with no planted kind: {sum(len(v) for v in self.unmapped_holds.values())}"
        )
        return "\n".join(rows)


def read_truth(path: Path) -> dict[str, set[str]]:
    """claim id -> planted defect kinds, from ground_truth.csv."""
    truth: dict[str, set[str]] = defaultdict(set)
    with path.open() as handle:
        for row in csv.DictReader(handle):
            truth[row["claim_id"]].add(row["defect"])
    return truth


def score(
    rule_set: RuleSet,
    results: Iterable[tuple[ClaimContext, list[StepResult]]],
    truth: dict[str, set[str]],
) -> Score:
    """Compare held findings with what was planted, claim by claim."""
    checks = {rule.id: rule.check_name for _, rule in rule_set.all_rules()}
    out = Score()
    for ctx, step_results in results:
        claim_id = ctx.claim.claim_id
        out.claims += 1
        for planted in truth.get(claim_id, ()):
            out.planted[planted].add(claim_id)
        held = [
            f
            for r in step_results
            if r.status is CheckpointStatus.HELD
            for f in r.findings
            if f.severity is Severity.HELD
        ]
        for finding in held:
            kind = KIND_OF_CHECK.get(checks[finding.rule_id])
            if kind is None:
                out.unmapped_holds[finding.rule_id].add(claim_id)
            else:
                out.flagged[kind.value].add(claim_id)
        if held and not truth.get(claim_id):
            out.clean_held.add(claim_id)
    return out
