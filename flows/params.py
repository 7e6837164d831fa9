"""Flow parameters: one Pydantic model per flow, rendered by the Prefect UI as a form.

Parameters carry claim ids, payer, plan and provider ids, dates and rule ids only: never
patient data. Every field has a title, a one-line description and an example; tuning sits
in a nested "Advanced" group, and `deployments/forms.py` turns ids into pick-lists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from rules.outcomes import PRE_SUBMISSION_STEPS, Step
from tasks.settings import CHUNK_SIZE

P = TypeVar("P", bound=BaseModel)

# A pick-list entry reads "id — name"; the id is what the flow uses.
CHOICE_SEPARATOR = " — "


def picked_id(value: Any) -> Any:
    """The id of a pick-list entry ("medicare — Medicare" is medicare); an empty entry is none."""
    if isinstance(value, str):
        value = value.split(CHOICE_SEPARATOR, 1)[0].strip()
        return value or None
    return value


Picked = Annotated[str | None, BeforeValidator(picked_id)]
TUNING_FIELDS = ("chunk_size", "workers", "quiet_seconds")


CLAIM_IDS_HELP = "Claim ids as on the claim (CLM01); leave empty to select by payer, dates or rule"
PAYER_HELP = "Only this payer's claims"
PLAN_HELP = "Only claims billed to this plan"
PROVIDER_HELP = "Only claims this clinician rendered (NPI)"
FROM_HELP = "Only claims with a date of service on or after this day"
TO_HELP = "Only claims with a date of service on or before this day"
RULE_HELP = "Only claims this rule holds now, e.g. after changing it"


class Criteria(BaseModel):
    """Claims named by id, or chosen by payer, plan, provider, dates of service and the rule
    holding them: the part of a selection a person fills in."""

    model_config = ConfigDict(extra="forbid")

    claim_ids: list[str] = Field(
        default_factory=list,
        max_length=20_000,
        title="Claim ids",
        description=CLAIM_IDS_HELP,
        examples=[["CL-2026-000001-000-01"]],
    )
    payer_id: Picked = Field(
        default=None, title="Payer", description=PAYER_HELP, examples=["medicare"]
    )
    plan_id: Picked = Field(default=None, title="Plan", description=PLAN_HELP, examples=["MCR-B"])
    provider_npi: Picked = Field(
        default=None, title="Provider", description=PROVIDER_HELP, examples=["1234567893"]
    )
    service_from: dt.date | None = Field(
        default=None, title="Dates of service from", description=FROM_HELP, examples=["2026-10-01"]
    )
    service_to: dt.date | None = Field(
        default=None, title="Dates of service to", description=TO_HELP, examples=["2026-10-31"]
    )
    held_by_rule: Picked = Field(
        default=None, title="Held by rule", description=RULE_HELP, examples=["DEF-DOC-007"]
    )


class Selection(Criteria):
    """Which claims: by id, by payer and date-of-service range, by the rule holding them, or unchecked."""

    unchecked: bool = Field(
        default=False,
        title="Not yet checked",
        description="Claims missing a checkpoint for a step (the backlog)",
    )
    remitted: bool = Field(
        default=False,
        title="Paid since audited",
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
        if not (
            self.payer_id
            or self.plan_id
            or self.provider_npi
            or self.service_from
            or self.service_to
        ):
            return "nothing selected"
        span = (
            f"{_month(self.service_from)}..{_month(self.service_to)}"
            if self.service_from or self.service_to
            else "all dates"
        )
        narrower = "".join(
            f" {name}={value}"
            for name, value in (("plan", self.plan_id), ("provider", self.provider_npi))
            if value
        )
        return f"payer={self.payer_id or 'all'}{narrower} {span}"


def _month(day: dt.date | None) -> str:
    return day.strftime("%Y-%m") if day else ""


WORKERS_HELP = (
    "Processes checking chunks at once (default: CLAIMGUARD_WORKERS, else one per CPU core)"
)
QUIET_HELP = (
    "Seconds a file must go unchanged before it is read (default: the settings', 10); "
    "files named .part wait until renamed; a file with a .done marker is read at once"
)
ADVANCED_HELP = "Tuning for very large runs; the defaults suit a day's claims"
STEPS_HELP = "The lifecycle steps to check (default: steps 1-4, everything before submission)"


class Tuning(BaseModel):
    """How the work is cut up; the defaults suit a day's claims on one machine."""

    model_config = ConfigDict(extra="forbid", title="Advanced (tuning: leave as is)")

    chunk_size: int = Field(
        default=CHUNK_SIZE,
        ge=100,
        le=50_000,
        title="Chunk size",
        description="Claims per task run: smaller chunks retry less work after a fault",
        examples=[CHUNK_SIZE],
    )
    workers: int | None = Field(
        default=None, ge=1, le=64, title="Workers", description=WORKERS_HELP, examples=[2]
    )


class ArrivalTuning(Tuning):
    """Tuning for flows that read a folder of arriving files."""

    model_config = ConfigDict(title="Advanced (tuning: leave as is)")

    quiet_seconds: float | None = Field(
        default=None, ge=0, le=3600, title="Quiet seconds", description=QUIET_HELP, examples=[10]
    )


def _tuning_nested(data: Any) -> Any:
    """Chunk size, workers and quiet seconds given at the top level (the CLI, a script, a
    deployment's saved parameters from before the Advanced group) go into `advanced`."""
    if not isinstance(data, dict) or not any(key in data for key in TUNING_FIELDS):
        return data
    data = dict(data)
    advanced = dict(data.get("advanced") or {})
    for key in TUNING_FIELDS:
        if key in data:
            advanced[key] = data.pop(key)
    data["advanced"] = advanced
    return data


class Tuned(BaseModel):
    """Parameters with an Advanced group, readable as if its fields were their own."""

    model_config = ConfigDict(extra="forbid")

    advanced: Tuning = Field(default_factory=Tuning, title="Advanced", description=ADVANCED_HELP)

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, data: Any) -> Any:
        return _tuning_nested(data)

    @property
    def chunk_size(self) -> int:
        return self.advanced.chunk_size

    @property
    def workers(self) -> int | None:
        return self.advanced.workers


class ArrivalTuned(Tuned):
    advanced: ArrivalTuning = Field(
        default_factory=ArrivalTuning, title="Advanced", description=ADVANCED_HELP
    )

    @property
    def quiet_seconds(self) -> float | None:
        return self.advanced.quiet_seconds


class LifecycleParams(Tuned):
    """Run steps 1-4 over a selection of claims (default: every claim not yet checked)."""

    model_config = ConfigDict(extra="forbid", title="Check claims")

    selection: Selection = Field(
        default_factory=lambda: Selection(unchecked=True),
        title="Which claims",
        description="Which claims (default: every claim missing a check)",
    )
    steps: list[Step] = Field(
        default=list(PRE_SUBMISSION_STEPS),
        min_length=1,
        title="Steps",
        description=STEPS_HELP,
        examples=[["verification", "documentation"]],
    )
    force: bool = Field(
        default=False,
        title="Check again",
        description="Check again even claims already checked under this rule set",
    )


class DailyIntakeParams(ArrivalTuned):
    """Load the inbox and run steps 1-4 on what arrived."""

    model_config = ConfigDict(extra="forbid", title="Daily intake")

    inbox: str = Field(
        default=".claimguard/inbox",
        title="Inbox folder",
        description="Folder of new claim files (837P or JSON packets), on the server",
        examples=[".claimguard/inbox"],
    )
    day: dt.date | None = Field(
        default=None,
        title="Business day",
        description="The business day this intake is for (default: today)",
        examples=["2026-12-07"],
    )
    report_dir: str = Field(
        default=".claimguard/reports",
        title="Report folder",
        description="Where the revenue-leak report goes, on the server",
        examples=[".claimguard/reports"],
    )


@dataclass(frozen=True)
class Hints:
    """How a re-audit's fields are named where the user fills them in."""

    selection: str
    reason: str
    dates: str


FORM_HINTS = Hints(
    selection="fill in Claim ids, Payer, Plan, Provider, the dates or Held by rule",
    reason="fill in Reason",
    dates="swap Dates of service from and to",
)
CLI_HINTS = Hints(
    selection="--claim, --payer, --plan, --provider, --service-from/--service-to or --rule",
    reason="--reason",
    dates="swap --service-from and --service-to",
)


class ReauditParams(Criteria, Tuned):
    """Re-evaluate claims under the current rules and report, claim by claim, what changed."""

    model_config = ConfigDict(extra="forbid", title="Re-audit")

    steps: list[Step] = Field(
        default=list(PRE_SUBMISSION_STEPS),
        min_length=1,
        title="Steps",
        description="The steps to check again (default: 1-4; post-payment audit re-checks what was paid)",
        examples=[["documentation"]],
    )
    dry_run: bool = Field(
        default=False,
        title="Dry run",
        description="Report what would change without writing checkpoints",
    )
    # Checked by problem(), so an empty form fails in one sentence under its own name.
    reason: str = Field(
        default="",
        max_length=500,
        title="Reason",
        description="Why, kept with the run: e.g. 'Q4 NCCI tables', 'Summit contract amendment'",
        examples=["Q4 NCCI tables"],
    )

    def problem(self, *, hints: Hints = FORM_HINTS) -> str | None:
        """What is missing or wrong in these parameters, in one sentence naming the fields
        (`hints` names them as the form or the command line does); None if nothing is.

        Not validators: the Prefect UI's form cannot check one field against another, and a
        run its validation refuses fails under a random name with a traceback; the flow says
        this first instead, under the name of what was asked (and the CLI before any run)."""
        if self.service_from and self.service_to and self.service_from > self.service_to:
            return (
                f"the date-of-service range ends ({self.service_to}) before it starts "
                f"({self.service_from}); {hints.dates}"
            )
        missing = []
        if not any(self.model_dump(include=SELECTION_FIELDS).values()):
            missing.append(
                "select claims: claim ids, a payer, plan or provider and/or a date-of-service "
                f"range, or the rule holding them ({hints.selection})"
            )
        if len(self.reason.strip()) < 3:
            missing.append(
                f"give the reason for the re-audit, 3 characters or more ({hints.reason})"
            )
        return "; and ".join(missing) or None

    @property
    def selection(self) -> Selection:
        return Selection.model_validate(self.model_dump(include=SELECTION_FIELDS))


SELECTION_FIELDS = {
    "claim_ids",
    "payer_id",
    "plan_id",
    "provider_npi",
    "service_from",
    "service_to",
    "held_by_rule",
}


class RemittanceAuditParams(ArrivalTuned):
    """Post a folder of 835 files, audit every line they pay, and report the leaks."""

    model_config = ConfigDict(extra="forbid", title="Remittance audit")

    folder: str = Field(
        default=".claimguard/remittances",
        title="Remittance folder",
        description="Folder of new 835 files on the server (moved when read)",
        examples=[".claimguard/remittances"],
    )
    report_dir: str = Field(
        default=".claimguard/reports",
        title="Report folder",
        description="Where the HTML report and CSV work queues go, on the server",
        examples=[".claimguard/reports"],
    )
    alarm_months: int = Field(
        default=3,
        ge=1,
        le=36,
        title="Alarm after months",
        description="Months in a row of underpaying one code that raise the alarm",
        examples=[3],
    )


class StuckClaimsParams(BaseModel):
    """Find the claims stuck before money is lost. Each payer's filing window and usual days
    to pay come from the rule set (rules/tables/payer_terms.csv), not from this form."""

    model_config = ConfigDict(extra="forbid", title="Stuck claims")

    held_days: int = Field(
        default=14,
        ge=1,
        title="Held longer than (days)",
        description="A claim held by a finding is stuck after this many days",
        examples=[14],
    )
    ready_days: int = Field(
        default=3,
        ge=0,
        title="Ready, not sent after (days)",
        description="A claim ready to submit is stuck after this many days",
        examples=[3],
    )
    warn_fraction: float = Field(
        default=0.8,
        gt=0,
        le=1,
        title="Warn at share of filing window",
        description="Warn when this share of a payer's timely-filing window has passed",
        examples=[0.8],
    )
    as_of: dt.date | None = Field(
        default=None,
        title="As of",
        description="Judge as of this date (default: today)",
        examples=["2026-12-07"],
    )


def current_params(model: type[P]) -> P | None:
    """The running flow's `params` argument as `model` (a model locally, a dict from a deployment)."""
    from prefect.runtime import flow_run

    value = flow_run.parameters.get("params")
    if value is None:
        return None
    return value if isinstance(value, model) else model.model_validate(value)
