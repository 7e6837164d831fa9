"""What a check says about a claim: steps, statuses, severities and findings (values)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Step(StrEnum):
    VERIFICATION = "verification"
    CODE_CONFIRMATION = "code_confirmation"
    DOCUMENTATION = "documentation"
    CODING_EDITS = "coding_edits"
    POST_PAYMENT_AUDIT = "post_payment_audit"


PRE_SUBMISSION_STEPS = (
    Step.VERIFICATION,
    Step.CODE_CONFIRMATION,
    Step.DOCUMENTATION,
    Step.CODING_EDITS,
)


class Severity(StrEnum):
    HELD = "held"
    WARNING = "warning"
    INFO = "info"


class CheckpointStatus(StrEnum):
    PASSED = "passed"
    WARNING = "warning"
    HELD = "held"
    ERROR = "error"
    SKIPPED = "skipped"


class Finding(BaseModel):
    """One thing a rule found: what, where, why it matters, how to fix it, and the source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str
    severity: Severity
    line_number: int | None = None
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    fix: str = ""
    source: str = ""
