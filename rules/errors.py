"""The exceptions of the pure core.

    ClaimCheckError
    ├── ClaimDataError(ValueError)    the claim context cannot be checked (missing a claim)
    └── RuleFileError(ValueError)     rule files or code tables are broken; lists every problem

A rule that finds something is not an error: it returns a Finding. Errors are for broken
inputs and broken rule files, and a broken rule set never evaluates (it fails closed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails


class ClaimCheckError(Exception):
    """Base of ClaimGuard's own errors."""


class ClaimDataError(ClaimCheckError, ValueError):
    """The input to a check is unusable."""


@dataclass(frozen=True)
class RuleProblem:
    """One problem in one rule file: where, which rule, which field, and what is wrong."""

    path: str
    rule_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.path + (f" rule {self.rule_id}" if self.rule_id else "")
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class RuleFileError(ClaimCheckError, ValueError):
    """Rule files or tables failed validation; `problems` holds every one found, not just the first."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the rule files:\n{lines}")


def _message(item: ErrorDetails) -> str:
    return item["msg"].removeprefix("Value error, ")


def _no_rule(_loc: list[Any]) -> str | None:
    return None


def validation_problems(
    where: str,
    error: ValidationError,
    *,
    rule_id: Callable[[list[Any]], str | None] = _no_rule,
    describe: Callable[[ErrorDetails], str] = _message,
) -> list[RuleProblem]:
    """One RuleProblem per thing Pydantic refused in a rule file or table row: where, the
    rule (`rule_id` of the error's location), the field (a table's column name), and what
    is wrong in words (`describe`)."""
    return [
        RuleProblem(
            where,
            rule_id(list(item["loc"])),
            ".".join(str(part) for part in item["loc"]) or None,
            describe(item),
        )
        for item in error.errors(include_url=False)
    ]
