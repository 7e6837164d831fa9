"""Every rule, run on its case files: each case changes the clean base context and says
whether the rule fires. The meta-tests below demand a firing and a passing case per rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules.engine import evaluate
from rules.loader import default_rule_set
from rules.outcomes import Step
from tests import contexts

CASES_DIR = Path(__file__).parent / "cases"


def load_cases() -> list[tuple[str, str, dict[str, Any], Path]]:
    cases = []
    for path in sorted(CASES_DIR.rglob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for case in data["cases"]:
            cases.append(
                (
                    data["rule"],
                    case.get("payer", data.get("payer", contexts.PLAIN_PAYER)),
                    case,
                    path,
                )
            )
    return cases


CASES = load_cases()
RULES = {rule.id: (rule_file, rule) for rule_file, rule in default_rule_set().all_rules()}


def step_of(rule_id: str) -> Step:
    return RULES[rule_id][0].step


@pytest.mark.parametrize(
    ("rule_id", "payer", "case", "path"), CASES, ids=[f"{c[0]}::{c[2]['name']}" for c in CASES]
)
def test_rule_case(rule_id: str, payer: str, case: dict[str, Any], path: Path):
    """The rule fires exactly when the case says it does, with the case's message."""
    ctx = contexts.build(contexts.apply(contexts.base(payer), case.get("set", {})))
    as_of = case.get("as_of")
    result = evaluate(
        default_rule_set(),
        ctx,
        step_of(rule_id),
        as_of=dt.date.fromisoformat(str(as_of)) if as_of else None,
    )
    mine = [f for f in result.findings if f.rule_id == rule_id]
    assert bool(mine) is case["fires"], [f.message for f in result.findings]
    if "message" in case:
        assert any(case["message"] in f.message for f in mine), [f.message for f in mine]
    if "severity" in case:
        assert {f.severity.value for f in mine} == {case["severity"]}
    if "line" in case:
        assert [f.line_number for f in mine] == [case["line"]]


class TestCaseCoverage:
    def test_every_rule_has_a_firing_and_a_passing_case(self):
        """No rule ships without a case where it fires and one where it does not."""
        seen: dict[str, set[bool]] = {rule_id: set() for rule_id in RULES}
        for rule_id, _, case, _ in CASES:
            seen.setdefault(rule_id, set()).add(case["fires"])
        missing = {
            rule_id: sorted({True, False} - outcomes)
            for rule_id, outcomes in seen.items()
            if outcomes != {True, False}
        }
        assert missing == {}

    def test_every_case_file_names_a_rule_and_the_rule_payer(self):
        """Case files point at real rules, and a payer's rule is tested with that payer's claims."""
        problems = []
        for rule_id, payer, _, path in CASES:
            if rule_id not in RULES:
                problems.append(f"{path.name}: no rule {rule_id}")
            elif RULES[rule_id][0].payer not in ("_default", payer):
                problems.append(
                    f"{path.name}: {rule_id} belongs to {RULES[rule_id][0].payer}, case uses {payer}"
                )
        assert problems == []


class TestBaseContext:
    @pytest.mark.parametrize("payer", sorted(contexts.KINDS))
    def test_base_context_is_clean_for_every_payer(self, payer: str):
        """The base claim passes every step for every payer: a case's change is the only cause."""
        ctx = contexts.build(contexts.base(payer))
        results = [
            evaluate(default_rule_set(), ctx, step)
            for step in (
                Step.VERIFICATION,
                Step.CODE_CONFIRMATION,
                Step.DOCUMENTATION,
                Step.CODING_EDITS,
            )
        ]
        expected_warning = {"DEF-VER-001"} if payer == contexts.PLAIN_PAYER else set()
        assert {f.rule_id for r in results for f in r.findings} == expected_warning
