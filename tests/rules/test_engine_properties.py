"""Properties of evaluation that must hold for any claim, checked on generated contexts."""

from __future__ import annotations

import datetime as dt
import random

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.engine import evaluate
from rules.loader import RuleSet, default_rule_set
from rules.outcomes import CheckpointStatus, Severity, Step
from rules.schema import RuleFile
from tests import contexts
from tests.strategies import context_dicts

RULES = default_rule_set()
STEPS = list(Step)


def findings(rule_set: RuleSet, ctx_dict: dict, step: Step) -> list[tuple]:
    result = evaluate(rule_set, contexts.build(ctx_dict), step)
    return [(f.rule_id, f.severity, f.line_number, f.message) for f in result.findings]


@settings(max_examples=150, deadline=None)
@given(context_dicts(), st.sampled_from(STEPS))
def test_evaluation_is_deterministic(ctx_dict, step):
    """The same claim gives the same findings in the same order, every time."""
    assert findings(RULES, ctx_dict, step) == findings(RULES, ctx_dict, step)


@settings(max_examples=150, deadline=None)
@given(context_dicts(), st.sampled_from(STEPS), st.randoms(use_true_random=False))
def test_line_order_does_not_change_the_findings(ctx_dict, step, rnd: random.Random):
    """Sending the lines in another order gives the same findings."""
    shuffled = contexts.apply(ctx_dict, {})
    rnd.shuffle(shuffled["claim"]["lines"])
    assert findings(RULES, shuffled, step) == findings(RULES, ctx_dict, step)


@settings(max_examples=100, deadline=None)
@given(context_dicts(), st.sampled_from(STEPS))
def test_status_is_the_worst_severity(ctx_dict, step):
    """Held if any finding is held, else warning if any is a warning, else passed (or skipped)."""
    result = evaluate(RULES, contexts.build(ctx_dict), step)
    severities = {f.severity for f in result.findings}
    if result.status is CheckpointStatus.SKIPPED:
        assert step is Step.POST_PAYMENT_AUDIT and not severities
    elif Severity.HELD in severities:
        assert result.status is CheckpointStatus.HELD
    elif Severity.WARNING in severities:
        assert result.status is CheckpointStatus.WARNING
    else:
        assert result.status is CheckpointStatus.PASSED


def future_rule_set(start: dt.date) -> RuleSet:
    """The shipped rules, every one made effective only from `start`."""
    files = tuple(
        f.model_copy(
            update={
                "rules": [
                    r.model_copy(update={"effective_from": start, "effective_to": None})
                    for r in f.rules
                ]
            }
        )
        for f in RULES.files
    )
    return RuleSet(files, RULES.tables, "future")


@settings(max_examples=100, deadline=None)
@given(
    context_dicts(),
    st.sampled_from(STEPS),
    st.dates(min_value=dt.date(2026, 11, 3), max_value=dt.date(2099, 1, 1)),
)
def test_a_rule_not_yet_effective_never_fires(ctx_dict, step, start):
    """Rules whose effective_from is after the date of service produce no findings."""
    assert findings(future_rule_set(start), ctx_dict, step) == []


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([f for f in RULES.files]))
def test_rule_file_survives_a_dump_and_reload(rule_file: RuleFile):
    """A rule file written back to YAML reads as the same rules."""
    text = yaml.safe_dump(rule_file.model_dump(mode="json", exclude_defaults=True))
    assert RuleFile.model_validate(yaml.safe_load(text)) == rule_file
