"""Evaluate a step's rules against one claim: deterministic, pure, never calls today()."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rules.checks import REGISTRY, Hit
from rules.context import ClaimContext
from rules.loader import RuleSet
from rules.outcomes import CheckpointStatus, Finding, Severity, Step
from rules.remit import posting_problems
from rules.schema import Rule

_CHECK_FNS = {name: spec.fn for name, spec in REGISTRY.items()}
_RANK = {Severity.HELD: 2, Severity.WARNING: 1, Severity.INFO: 0}


@dataclass(frozen=True, slots=True)
class StepResult:
    """The outcome of one step for one claim: status, findings in a stable order, and the rule-set version."""

    claim_id: str
    step: Step
    status: CheckpointStatus
    findings: tuple[Finding, ...]
    rule_set_version: str
    skipped_rules: tuple[str, ...] = ()


def evaluate(
    rule_set: RuleSet, ctx: ClaimContext, step: Step, *, as_of: dt.date | None = None
) -> StepResult:
    """Run `step`'s rules for the claim's payer, effective on `as_of` (default: the date of service)."""
    day = as_of or ctx.service_date
    if (
        step is Step.POST_PAYMENT_AUDIT
        and ctx.remittance is None
        and not posting_problems(ctx.postings)
    ):
        # Nothing stands to audit (no answer yet, or one reversed awaiting a new one), and
        # nothing taken back without cause.
        return StepResult(
            claim_id=ctx.claim.claim_id,
            step=step,
            status=CheckpointStatus.SKIPPED,
            findings=(),
            rule_set_version=rule_set.version,
        )
    env = rule_set.env(day)
    findings: list[Finding] = []
    rules = rule_set.effective_rules(ctx.claim.payer_id, step, day)
    skipped: tuple[str, ...] = ()
    for index, rule in enumerate(rules):
        hits = _CHECK_FNS[rule.require.check](ctx, rule.require, env)
        if not hits:
            continue
        findings.extend([_finding(rule, hit) for hit in hits])
        if rule.gate:
            skipped = tuple(r.id for r in rules[index + 1 :])
            break
    findings.sort(key=lambda f: (f.rule_id, f.line_number or 0, f.message))
    return StepResult(
        claim_id=ctx.claim.claim_id,
        step=step,
        status=_status(findings),
        findings=tuple(findings),
        rule_set_version=rule_set.version,
        skipped_rules=skipped,
    )


def _finding(rule: Rule, hit: Hit) -> Finding:
    return Finding.model_construct(
        rule_id=rule.id,
        severity=hit.severity or rule.severity,
        line_number=hit.line_number,
        message=hit.message,
        evidence=dict(hit.evidence),
        fix=hit.fix or rule.fix,
        source=rule.source,
    )


def _status(findings: list[Finding]) -> CheckpointStatus:
    worst = max((_RANK[f.severity] for f in findings), default=0)
    return {2: CheckpointStatus.HELD, 1: CheckpointStatus.WARNING}.get(
        worst, CheckpointStatus.PASSED
    )
