"""The operations monitor: claims stuck before money is lost, as a table and one event per kind."""

from __future__ import annotations

import datetime as dt

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State
from prefect.events import emit_event
from prefect.states import Completed

from flows.params import StuckClaimsParams, current_params
from rules.tables import Tables
from tasks.db.session import session_scope
from tasks.db.stuck import StuckKind, StuckPage, StuckPolicy, find_stuck
from tasks.retry import io_task
from tasks.runtime import Runtime
from tasks.settings import get_settings

# Claims listed per kind: in the table artifact, and named in each kind's event (the
# counts are whole; the claim database has every stuck claim, `claimguard stuck` pages them).
TABLE_ROWS_PER_KIND = 200
RELATED_LIMIT = 50


def stuck_policy(params: StuckClaimsParams, tables: Tables) -> StuckPolicy:
    """The form's thresholds with each payer's terms from the rule set's payer_terms table."""
    return StuckPolicy(
        as_of=params.as_of or dt.date.today(),
        held_days=params.held_days,
        ready_days=params.ready_days,
        remittance_days=tables.remittance_days(),
        filing_days=tables.filing_days(),
        warn_fraction=params.warn_fraction,
    )


@io_task(name="find-stuck-claims")
def find_stuck_claims(
    runtime: Runtime, params: StuckClaimsParams, limit: int = TABLE_ROWS_PER_KIND
) -> dict[StuckKind, StuckPage]:
    """Each kind's count and its first `limit` claims, one query per kind."""
    with session_scope(runtime.engine()) as session:
        policy = stuck_policy(params, runtime.rule_set().tables)
        return find_stuck(session, policy, limit=limit)


def _run_name() -> str:
    params = current_params(StuckClaimsParams)
    return (
        f"stuck-claims {(params.as_of if params and params.as_of else dt.date.today()).isoformat()}"
    )


@flow(name="stuck-claims", flow_run_name=_run_name)
def stuck_claims(params: StuckClaimsParams = StuckClaimsParams()) -> State:  # noqa: B008 - a form default
    """Find stuck claims, publish a table, and emit one Prefect event per kind with its count."""
    pages = find_stuck_claims(Runtime.from_settings(get_settings()), params)
    for kind, page in pages.items():
        emit_event(
            event=f"claimguard.stuck.{kind}",
            resource={
                "prefect.resource.id": f"claimguard.stuck.{kind}",
                "prefect.resource.name": kind.value,
            },
            related=[
                {"prefect.resource.id": f"claimguard.claim.{cid}", "prefect.resource.role": "claim"}
                for cid in dict.fromkeys(s.claim_id for s in page.claims[:RELATED_LIMIT])
            ],
            payload={"count": page.total},
        )
    rows = [
        {
            "claim_id": s.claim_id,
            "payer": s.payer_id,
            "kind": s.kind.value,
            "since": str(s.since or ""),
            "detail": s.detail,
            "step": s.step,
        }
        for page in pages.values()
        for s in page.claims
    ]
    create_table_artifact(
        rows or [{"kind": "none", "detail": "no stuck claims"}],
        key="stuck-claims",
        description=f"Stuck claims, the first {TABLE_ROWS_PER_KIND} of each kind (claim ids only)",
    )
    counts = {kind.value: page.total for kind, page in pages.items()}
    lines = [
        "# Stuck claims",
        "",
        "| kind | claims |",
        "| --- | ---: |",
        *(f"| {kind} | {total:,} |" for kind, total in counts.items()),
    ]
    create_markdown_artifact(
        "\n".join(lines), key="stuck-claims-summary", description="Stuck claims by kind"
    )
    get_run_logger().info("stuck claims: %s", counts)
    # A claim can be stuck in two ways (held, and near its filing limit): counts are per kind.
    found = ", ".join(f"{kind} {total:,}" for kind, total in counts.items() if total)
    return Completed(message=f"stuck claims by kind: {found or 'none'}", data=counts)
