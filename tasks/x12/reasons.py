"""X12 errors as quarantine reasons: the element (or segment) and where it is, what was
expected and what was found."""

from __future__ import annotations

from collections.abc import Sequence

from tasks.intake.reasons import Reason
from tasks.x12.reader import X12Error

MAX_REASONS = 50


def error_reason(error: X12Error) -> Reason:
    where = f"segment {error.ordinal}" if error.ordinal else ""
    if error.line:
        where += f", line {error.line}, column {error.column}"
    where = where.removeprefix(", ")
    name = error.element or error.segment
    return Reason(
        field=f"{name} ({where})" if where else name,
        expected=error.plain.expected,
        found=error.plain.found,
    )


def error_reasons(errors: Sequence[X12Error]) -> tuple[Reason, ...]:
    """The first errors as reasons, and how many more there are."""
    reasons = tuple(error_reason(e) for e in errors[:MAX_REASONS])
    if len(errors) > MAX_REASONS:
        more = f"{len(errors) - MAX_REASONS} more errors"
        reasons += (Reason(field="(set)", expected="-", found=more),)
    return reasons
