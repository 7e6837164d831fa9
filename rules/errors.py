"""The exceptions of the pure core.

    ClaimCheckError
    ├── ClaimDataError(ValueError)    the claim context cannot be checked (missing a claim)
    └── RuleFileError(ValueError)     rule files or code tables are broken; lists every problem

A rule that finds something is not an error: it returns a Finding. Errors are for broken
inputs and broken rule files, and a broken rule set never evaluates (it fails closed).
"""

from __future__ import annotations

from dataclasses import dataclass


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
