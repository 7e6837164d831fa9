"""Serve every ClaimGuard deployment from one process, with its schedule.

    python -m deployments.serve            # needs PREFECT_API_URL pointing at a Prefect server

`make serve` starts a local Prefect server (SQLite) and this process. deployments/prefect.yaml
describes the same deployments for a work pool (`prefect deploy --all`), the way to grow
past one machine.
"""

from __future__ import annotations

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.schedules import Cron, Interval

from flows.daily_intake import daily_intake
from flows.lifecycle import lifecycle
from flows.reaudit import reaudit
from flows.remittance_audit import remittance_audit
from flows.stuck_claims import stuck_claims
from tasks.settings import Settings, get_settings


def deployments(settings: Settings | None = None) -> list[object]:
    """The deployments served together: scheduled intake and monitor; remittance audit, re-audit and lifecycle on demand."""
    settings = settings or get_settings()
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


def main() -> None:
    serve(*deployments())  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
