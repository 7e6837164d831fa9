"""The operations monitor: claims stuck before money is lost, as a table and one event per kind."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.events import emit_event
from prefect.states import Completed

from flows.params import StuckClaimsParams, current_params
from tasks.db.session import session_scope, shared_engine
from tasks.db.stuck import Stuck, find_stuck
from tasks.retry import retry_if_transient

KINDS = (
    "running_past_lease",
    "errored",
    "held_too_long",
    "ready_not_submitted",
    "no_remittance",
    "timely_filing",
)
RELATED_LIMIT = 50  # claim ids attached to each event; the table artifact has them all


@task(
    name="find-stuck-claims",
    retries=3,
    retry_delay_seconds=[2, 10, 30],
    retry_condition_fn=retry_if_transient,
    cache_policy=NO_CACHE,
    persist_result=False,
)
def find_stuck_claims(params: StuckClaimsParams) -> list[Stuck]:
    as_of = params.as_of or dt.date.today()
    with session_scope(shared_engine()) as session:
        return find_stuck(
            session,
            as_of=as_of,
            held_days=params.held_days,
            ready_days=params.ready_days,
            remittance_days=params.remittance_days,
            filing_days=params.timely_filing_days,
            warn_fraction=params.warn_fraction,
        )


def _run_name() -> str:
    params = current_params(StuckClaimsParams)
    return (
        f"stuck-claims {(params.as_of if params and params.as_of else dt.date.today()).isoformat()}"
    )


@flow(name="stuck-claims", flow_run_name=_run_name)
def stuck_claims(params: StuckClaimsParams = StuckClaimsParams()) -> State:  # noqa: B008 - a form default
    """Find stuck claims, publish a table, and emit one Prefect event per kind with its count."""
    stuck = find_stuck_claims(params)
    counts = Counter(s.kind for s in stuck)
    for kind in KINDS:
        ids = [s.claim_id for s in stuck if s.kind == kind]
        emit_event(
            event=f"claimguard.stuck.{kind}",
            resource={
                "prefect.resource.id": f"claimguard.stuck.{kind}",
                "prefect.resource.name": kind,
            },
            related=[
                {"prefect.resource.id": f"claimguard.claim.{cid}", "prefect.resource.role": "claim"}
                for cid in ids[:RELATED_LIMIT]
            ],
            payload={"count": len(ids)},
        )
    rows = [
        {
            "kind": s.kind,
            "claim_id": s.claim_id,
            "payer": s.payer_id,
            "step": s.step,
            "since": str(s.since or ""),
            "detail": s.detail,
        }
        for s in stuck
    ]
    create_table_artifact(
        rows[:1000] or [{"kind": "none", "detail": "no stuck claims"}],
        key="stuck-claims",
        description="Stuck claims by kind (claim ids only)",
    )
    lines = [
        "# Stuck claims",
        "",
        "| kind | claims |",
        "| --- | ---: |",
        *(f"| {k} | {counts.get(k, 0):,} |" for k in KINDS),
    ]
    create_markdown_artifact(
        "\n".join(lines), key="stuck-claims-summary", description="Stuck claims by kind"
    )
    get_run_logger().info("stuck claims: %s", dict(counts))
    return Completed(message=f"{len(stuck)} stuck claim(s)", data=dict(counts))
