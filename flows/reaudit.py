"""Re-audit on demand (from the Prefect UI form or `claimguard reaudit`): what changed, claim by claim."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.client.schemas.objects import State
from prefect.runtime import flow_run
from prefect.states import Completed

from flows.params import ReauditParams, current_params
from tasks import startup
from tasks.lifecycle import plan_batch, reaudit_chunk, record_audit_run
from tasks.reaudit import Change
from tasks.rule_source import current_rule_set
from tasks.settings import CHUNK_SIZE

TABLE_LIMIT = 500


def _run_name() -> str:
    params = current_params(ReauditParams)
    return f"re-audit {params.selection.describe()}" if params else "re-audit"


@flow(name="re-audit", flow_run_name=_run_name)
def reaudit(params: ReauditParams, chunk_size: int = CHUNK_SIZE) -> State:
    """Re-evaluate the selected claims under the current rules; report findings added and removed."""
    startup.settle()
    logger = get_run_logger()
    run_id = str(flow_run.id) if flow_run.id else None
    criteria = params.selection.model_dump(exclude_defaults=True)
    # A re-audit always re-checks: the batch is salted with the run id so it leases its own chunks.
    plan = plan_batch(criteria, params.steps, chunk_size, salt=f"re-audit:{run_id}")
    changes: list[Change] = []
    written = 0
    for chunk_no in range(plan.chunks):
        result = reaudit_chunk(plan.key, chunk_no, params.steps, params.dry_run, run_id)
        changes += result.changes
        written += result.written
    counts = {
        "claims": plan.claims,
        "changed": len({c.claim_id for c in changes}),
        "checkpoints_written": written,
    }
    record_audit_run(run_id, "re-audit", params.reason, criteria, params.dry_run, counts)
    logger.info(
        "re-audit of %s claims: %s changed, %s checkpoints written",
        plan.claims,
        counts["changed"],
        written,
    )
    _publish(params, counts, changes)
    return Completed(message=f"{counts['changed']} of {plan.claims} claims changed", data=changes)


def _publish(params: ReauditParams, counts: dict[str, int], changes: list[Change]) -> None:
    mode = (
        "dry run: nothing written"
        if params.dry_run
        else f"{counts['checkpoints_written']:,} checkpoints written"
    )
    version = current_rule_set().version[:12]
    lines = [
        "# Re-audit",
        "",
        f"Reason: {params.reason}",
        "",
        f"Selection: {params.selection.describe()}; steps: {', '.join(s.value for s in params.steps)}; rule set `{version}`.",
        "",
        f"Claims: **{counts['claims']:,}**; changed: **{counts['changed']:,}**; {mode}.",
    ]
    create_markdown_artifact(
        "\n".join(lines), key="re-audit-summary", description="Re-audit: what changed"
    )
    rows = [
        {
            "claim_id": c.claim_id,
            "step": c.step.value,
            "before": c.status_before,
            "after": c.status_after,
            "added": ", ".join(c.added),
            "removed": ", ".join(c.removed),
        }
        for c in changes[:TABLE_LIMIT]
    ]
    if rows:
        create_table_artifact(
            rows,
            key="re-audit-changes",
            description="Claims whose findings changed (rule ids only)",
        )
