"""The rule file: a payer's (or `_default`'s) rules for one step, validated when loaded.

    payer: medicare
    step: documentation
    rules:
      - id: MCR-DOC-001
        title: Group larger than the LCD allows
        severity: held
        effective_from: 2024-01-01
        source: "NGS LCD L33632"
        require: {check: group_size_within, max_size: 12}

`require.check` must name a registered check; its other keys are that check's parameters.
No expressions, no code, no import paths.
"""

from __future__ import annotations

import datetime as dt
import operator
from functools import reduce
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from rules.checks import REGISTRY
from rules.outcomes import Severity, Step

RuleId = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")]

# The discriminated union of every registered check's parameters, keyed by `check`.
CheckUnion: Any = Annotated[
    reduce(operator.or_, (spec.params for spec in REGISTRY.values())),
    Field(discriminator="check"),
]


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: RuleId = Field(description="stable and never reused: <PAYER>-<STEP>-<NNN>")
    title: str = Field(min_length=3, max_length=120)
    severity: Severity
    effective_from: dt.date
    effective_to: dt.date | None = None
    source: str = Field(
        min_length=3, description="the policy, table or manual this rule comes from"
    )
    fix: str = Field(
        default="", description="what resolves the finding, when the check does not say"
    )
    gate: bool = Field(
        default=False, description="when it fires, the step's later rules are skipped"
    )
    replaces: list[RuleId] = Field(
        default_factory=list, description="_default rules this payer rule replaces"
    )
    require: CheckUnion

    @model_validator(mode="after")
    def _dates_in_order(self) -> Rule:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(
                f"effective_to {self.effective_to} is before effective_from {self.effective_from}"
            )
        return self

    def effective_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    @property
    def check_name(self) -> str:
        return str(self.require.check)


class Disable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    rule: RuleId
    reason: str = Field(min_length=3)


class RuleFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    payer: str = Field(pattern=r"^(_default|[a-z0-9_]+)$")
    step: Step
    description: str = ""
    disables: list[Disable] = Field(
        default_factory=list, description="_default rules that do not apply to this payer"
    )
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> RuleFile:
        if not self.rules and not self.disables:
            raise ValueError(
                "a rule file must hold at least one rule (an empty rule set fails closed)"
            )
        return self

    @model_validator(mode="after")
    def _checks_belong_to_step(self) -> RuleFile:
        for rule in self.rules:
            spec = REGISTRY[rule.check_name]
            if spec.step is not self.step:
                raise ValueError(
                    f"rule {rule.id}: check {spec.name} belongs to step {spec.step.value}, not {self.step.value}"
                )
        return self


def rule_file_json_schema() -> dict[str, Any]:
    """JSON Schema of a rule file, for editors (rules/rule-file.schema.json)."""
    schema = RuleFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ClaimGuard rule file"
    return schema
