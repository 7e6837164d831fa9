"""What every check shares: its parameter base model, what it returns, and the registry.

A check is a pure function `(context, params, env) -> list[Hit]` registered under the name
its parameter model's `check` literal carries. Rule files can name only registered checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ConfigDict

from rules.context import ClaimContext
from rules.outcomes import Severity, Step
from rules.tables import Tables


def units(value: Decimal) -> str:
    """Units as a biller writes them: 1, 2, 1.5 (never 1.00 or 1E+1), whatever the source."""
    return f"{value.normalize():f}"


class CheckParams(BaseModel):
    """Base of every check's parameters: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """One thing a check found; the engine turns it into a Finding with the rule's metadata."""

    message: str
    line_number: int | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    fix: str | None = None
    severity: Severity | None = None


@dataclass(frozen=True)
class Env:
    """What a check may consult besides the claim: the code tables and the evaluation date."""

    tables: Tables
    as_of: dt.date
    payers_with_rules: frozenset[str] = frozenset()


P = TypeVar("P", bound=CheckParams)
CheckFn = Callable[[ClaimContext, Any, Env], list[Hit]]


@dataclass(frozen=True)
class CheckSpec:
    name: str
    step: Step
    params: type[CheckParams]
    fn: CheckFn


REGISTRY: dict[str, CheckSpec] = {}


def check(
    step: Step, params: type[P]
) -> Callable[
    [Callable[[ClaimContext, P, Env], list[Hit]]], Callable[[ClaimContext, P, Env], list[Hit]]
]:
    """Register a check function for `step` under its parameter model's `check` name."""
    (name,) = get_args(params.model_fields["check"].annotation)

    def register(
        fn: Callable[[ClaimContext, P, Env], list[Hit]],
    ) -> Callable[[ClaimContext, P, Env], list[Hit]]:
        if name in REGISTRY:
            raise RuntimeError(f"check {name!r} registered twice")
        REGISTRY[name] = CheckSpec(name, step, params, fn)
        return fn

    return register
