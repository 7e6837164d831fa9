"""Serve every ClaimGuard deployment from one process, with its schedule.

    python -m deployments.serve            # needs PREFECT_API_URL pointing at a Prefect server

`make serve` starts a local Prefect server (SQLite) and this process. deployments/prefect.yaml
describes the same deployments for a work pool (`prefect deploy --all`), the way to grow
past one machine.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, cast

from prefect import serve
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import DeploymentUpdate
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval
from prefect.utilities.callables import ParameterSchema, parameter_schema

from deployments.forms import Choices, choices_of, shaped
from flows.daily_intake import daily_intake
from flows.lifecycle import lifecycle
from flows.reaudit import reaudit
from flows.remittance_audit import remittance_audit
from flows.stuck_claims import stuck_claims
from tasks.runtime import Runtime
from tasks.settings import Settings, get_settings

# How often the forms' pick-lists are compared with the rule set and the database.
REFRESH_SECONDS = 60.0
log = logging.getLogger("claimguard.serve")


def deployments(
    settings: Settings | None = None, choices: Choices | None = None
) -> list[RunnerDeployment]:
    """The deployments served together: scheduled intake and monitor; remittance audit,
    re-audit and lifecycle on demand; each form shaped for people (deployments/forms.py)."""
    settings = settings or get_settings()
    served = [cast(RunnerDeployment, d) for d in _deployments(settings)]
    for deployment in served:
        deployment._parameter_openapi_schema = form_of(deployment, choices or Choices())
        # The flows check their own parameters (and read "id — name" picks as the id); the
        # server's check would refuse a script giving a bare id that the pick-list labels.
        deployment.enforce_parameter_schema = False
    return served


def form_of(deployment: RunnerDeployment, choices: Choices) -> ParameterSchema:
    """The deployment's parameter schema as its flow declares it, shaped for the form."""
    declared = parameter_schema(_FLOWS[deployment.name]).model_dump(exclude_unset=True)
    return ParameterSchema(**shaped(declared, choices))


def _deployments(settings: Settings) -> list[object]:
    remit_cron = settings.remit_cron
    one_at_a_time = ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
    )
    return [
        daily_intake.to_deployment(
            name="daily-intake",
            schedule=Cron(settings.daily_cron, timezone=settings.timezone),
            concurrency_limit=one_at_a_time,
            tags=["claimguard", "scheduled"],
            description="Load the inbox and run steps 1-4, every business morning.",
        ),
        stuck_claims.to_deployment(
            name="stuck-claims",
            schedule=Interval(3600),
            tags=["claimguard", "monitor"],
            description="Hourly: claims stuck before money is lost.",
        ),
        reaudit.to_deployment(
            name="re-audit",
            tags=["claimguard", "on-demand"],
            description="Re-evaluate claims after a rule or contract change; report what changed.",
        ),
        remittance_audit.to_deployment(
            name="remittance-audit",
            schedule=Cron(remit_cron, timezone=settings.timezone) if remit_cron else None,
            concurrency_limit=one_at_a_time,
            tags=["claimguard", "on-demand"],
            description="Post a folder of 835s, audit every paid line (step 5), report the leaks.",
        ),
        lifecycle.to_deployment(
            name="lifecycle",
            tags=["claimguard", "on-demand"],
            description="Steps 1-4 over a selection of claims.",
        ),
    ]


_FLOWS: dict[str, Any] = {
    "daily-intake": daily_intake,
    "stuck-claims": stuck_claims,
    "re-audit": reaudit,
    "remittance-audit": remittance_audit,
    "lifecycle": lifecycle,
}


def refresh_forms(served: list[RunnerDeployment], runtime: Runtime, last: Choices) -> Choices:
    """Give the served forms today's pick-lists when the rule set or what is on file changed."""
    now = choices_of(runtime)
    if now == last:
        return last
    with get_client(sync_client=True) as client:
        for deployment in served:
            found = client.read_deployment_by_name(f"{deployment.flow_name}/{deployment.name}")
            schema = form_of(deployment, now).model_dump(exclude_unset=True)
            update = DeploymentUpdate.model_validate({"parameter_openapi_schema": schema})
            client.update_deployment(found.id, update)
    log.info("deployment forms refreshed: pick-lists changed")
    return now


def _keep_refreshing(served: list[RunnerDeployment], runtime: Runtime, first: Choices) -> None:
    last = first
    stop = threading.Event()
    while not stop.wait(REFRESH_SECONDS):
        try:
            last = refresh_forms(served, runtime, last)
        except Exception:  # a busy database or server now is no reason to stop serving
            log.warning("deployment forms not refreshed this time", exc_info=True)


def main() -> None:
    settings = get_settings()
    runtime = Runtime.from_settings(settings)
    first = choices_of(runtime)
    served = deployments(settings, first)
    threading.Thread(
        target=_keep_refreshing, args=(served, runtime, first), daemon=True, name="forms"
    ).start()
    serve(*served)


if __name__ == "__main__":
    main()
