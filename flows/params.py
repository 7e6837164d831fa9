"""Flow parameters: one Pydantic model per flow, rendered by the Prefect UI as a form.

Parameters carry claim ids, payer ids, dates and rule ids only: never patient data.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from rules.outcomes import PRE_SUBMISSION_STEPS, Step
from tasks.settings import CHUNK_SIZE

P = TypeVar("P", bound=BaseModel)


class Selection(BaseModel):
    """Which claims: by id, by payer and date-of-service range, by the rule holding them, or unchecked."""

    model_config = ConfigDict(extra="forbid")

    claim_ids: list[str] = Field(
        default_factory=list, max_length=20_000, description="Claim ids, e.g. CL-2026-000001-000-01"
    )
    payer_id: str | None = Field(default=None, description="A payer id, e.g. medicare")
    service_from: dt.date | None = Field(default=None, description="First date of service")
    service_to: dt.date | None = Field(default=None, description="Last date of service")
    held_by_rule: str | None = Field(
        default=None, description="Claims currently held by this rule id, e.g. DEF-DOC-007"
    )
    unchecked: bool = Field(
        default=False, description="Claims missing a checkpoint for a step (the backlog)"
    )
    remitted: bool = Field(
        default=False,
        description="Claims with a remittance posted since their last post-payment audit",
    )

    def describe(self) -> str:
        """A short label for run names: no patient data, only ids and dates."""
        if self.claim_ids:
            return f"claims={len(self.claim_ids)}"
        if self.held_by_rule:
            return f"rule={self.held_by_rule}"
        if self.unchecked:
            return "unchecked"
        if self.remitted:
            return "remitted"
        if not (self.payer_id or self.service_from or self.service_to):
            return "nothing selected"
        span = (
            f"{_month(self.service_from)}..{_month(self.service_to)}"
            if self.service_from or self.service_to
            else "all dates"
        )
        return f"payer={self.payer_id or 'all'} {span}"


def _month(day: dt.date | None) -> str:
    return day.strftime("%Y-%m") if day else ""


WORKERS_HELP = (
    "Processes checking chunks at once (default: CLAIMGUARD_WORKERS, else one per CPU core)"
)


class LifecycleParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    selection: Selection = Field(default_factory=lambda: Selection(unchecked=True))
    steps: list[Step] = Field(default_factory=lambda: list(PRE_SUBMISSION_STEPS), min_length=1)
    force: bool = Field(
        default=False, description="Check again even claims already checked under this rule set"
    )
    chunk_size: int = Field(
        default=CHUNK_SIZE, ge=100, le=50_000, description="Claims per task run"
    )
    workers: int | None = Field(default=None, ge=1, le=64, description=WORKERS_HELP)


QUIET_HELP = (
    "Seconds a file must go unchanged before it is read (default: the settings', 10); "
    "files named .part wait until renamed; a file with a .done marker is read at once"
)


class DailyIntakeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inbox: str = Field(default=".claimguard/inbox", description="Folder of new packet files")
    day: dt.date | None = Field(
        default=None, description="The business day this intake is for (default: today)"
    )
    chunk_size: int = Field(default=CHUNK_SIZE, ge=100, le=50_000)
    workers: int | None = Field(default=None, ge=1, le=64, description=WORKERS_HELP)
    report_dir: str = Field(
        default=".claimguard/reports", description="Where the revenue-leak report goes"
    )
    quiet_seconds: float | None = Field(default=None, ge=0, le=3600, description=QUIET_HELP)


class ReauditParams(BaseModel):
    """Re-evaluate claims under the current rules and report, claim by claim, what changed."""

    model_config = ConfigDict(extra="forbid")

    claim_ids: list[str] = Field(default_factory=list, max_length=20_000)
    payer_id: str | None = None
    service_from: dt.date | None = None
    service_to: dt.date | None = None
    held_by_rule: str | None = None
    steps: list[Step] = Field(default_factory=lambda: list(PRE_SUBMISSION_STEPS), min_length=1)
    dry_run: bool = Field(
        default=False, description="Report what would change without writing checkpoints"
    )
    reason: str = Field(
        min_length=3,
        max_length=500,
        description="Why: e.g. 'Q4 NCCI tables', 'Summit contract amendment'",
    )
    workers: int | None = Field(default=None, ge=1, le=64, description=WORKERS_HELP)

    def problem(self) -> str | None:
        """Why these parameters select no claims to re-audit, in one sentence; None if they do.

        Not a validator: the Prefect UI's form cannot check one field against another, and a
        run its validation refuses fails under a random name with a traceback; the flow says
        this first instead, under the name of what was asked (and the CLI before any run)."""
        if self.service_from and self.service_to and self.service_from > self.service_to:
            return f"the date-of-service range ends ({self.service_to}) before it starts ({self.service_from})"
        if not (
            self.claim_ids
            or self.payer_id
            or self.service_from
            or self.service_to
            or self.held_by_rule
        ):
            return "select claims: claim ids, a payer and/or a date-of-service range, or the rule holding them"
        return None

    @property
    def selection(self) -> Selection:
        return Selection(
            claim_ids=self.claim_ids,
            payer_id=self.payer_id,
            service_from=self.service_from,
            service_to=self.service_to,
            held_by_rule=self.held_by_rule,
        )


class RemittanceAuditParams(BaseModel):
    """Post a folder of 835 files, audit every line they pay, and report the leaks."""

    model_config = ConfigDict(extra="forbid")

    folder: str = Field(
        default=".claimguard/remittances", description="Folder of new 835 files (moved when read)"
    )
    report_dir: str = Field(
        default=".claimguard/reports", description="Where the HTML report and CSV queues go"
    )
    alarm_months: int = Field(
        default=3, ge=1, le=36, description="Months of underpaying one code that raise the alarm"
    )
    chunk_size: int = Field(default=CHUNK_SIZE, ge=100, le=50_000)
    quiet_seconds: float | None = Field(default=None, ge=0, le=3600, description=QUIET_HELP)


class StuckClaimsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_days: int = Field(default=14, ge=1, description="Held longer than this many days")
    ready_days: int = Field(
        default=3, ge=0, description="Ready but not submitted after this many days"
    )
    remittance_days: dict[str, int] = Field(
        default_factory=lambda: {"_default": 30, "medicare": 30},
        description="Days a payer usually takes to remit",
    )
    timely_filing_days: dict[str, int] = Field(
        default_factory=lambda: {"_default": 90, "medicare": 365},
        description="Timely-filing window from the date of service, per payer",
    )
    warn_fraction: float = Field(
        default=0.8, gt=0, le=1, description="Warn at this share of the timely-filing window"
    )
    as_of: dt.date | None = Field(
        default=None, description="Judge as of this date (default: today)"
    )


def current_params(model: type[P]) -> P | None:
    """The running flow's `params` argument as `model` (a model locally, a dict from a deployment)."""
    from prefect.runtime import flow_run

    value = flow_run.parameters.get("params")
    if value is None:
        return None
    return value if isinstance(value, model) else model.model_validate(value)
