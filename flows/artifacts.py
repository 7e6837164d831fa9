"""What people read in the Prefect UI: markdown summaries and tables, with claim ids only."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from rules.loader import RuleSet
from rules.outcomes import CheckpointStatus, Severity, Step
from tasks.db import models as m
from tasks.db.session import session_scope, shared_engine

TABLE_LIMIT = 500


def held_claims(batch_key: str, steps: list[Step]) -> list[dict[str, Any]]:
    """One row per held finding of the batch's claims (their current checkpoints)."""
    cp = m.ClaimCheckpoint
    rows: list[dict[str, Any]] = []
    with session_scope(shared_engine()) as session:
        chunks = session.scalars(
            select(m.WorkChunk.claim_ids).where(
                m.WorkChunk.batch_key == batch_key, m.WorkChunk.step == steps[0]
            )
        )
        for claim_ids in chunks:
            for step in steps:
                # One query per chunk and step: the newest checkpoint of each claim, if held
                # (the claims' ids as a 5,000-long IN list; SQLite allows 32,766).
                newest = (
                    select(func.max(cp.id))
                    .where(cp.step == step, cp.claim_id.in_(claim_ids))
                    .group_by(cp.claim_id)
                )
                query = select(cp.claim_id, cp.findings).where(
                    cp.id.in_(newest), cp.status == CheckpointStatus.HELD
                )
                rows += [
                    {
                        "claim_id": claim_id,
                        "step": step.value,
                        "rule": f.rule_id,
                        "line": f.line_number or "",
                        "finding": f.message,
                        "fix": f.fix,
                    }
                    for claim_id, findings in session.execute(query)
                    for f in findings
                    if f.severity is Severity.HELD
                ]
    return sorted(rows, key=lambda r: (r["claim_id"], r["step"], r["rule"]))


def lifecycle_markdown(
    summary: dict[str, Any], held: list[dict[str, Any]], rule_set: RuleSet
) -> str:
    titles = {rule.id: rule.title for _, rule in rule_set.all_rules()}
    lines = [
        "# Lifecycle run",
        "",
        f"Claims selected: **{summary['claims']:,}** in {summary['chunks']} chunk(s) per step; rule set `{rule_set.version[:12]}`.",
        "",
        "| step | passed | warning | held | error |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for step, counts in summary["statuses"].items():
        lines.append(
            f"| {step} | {counts.get('passed', 0):,} | {counts.get('warning', 0):,} | {counts.get('held', 0):,} | {counts.get('error', 0):,} |"
        )
    if summary["failed_chunks"]:
        lines += [
            "",
            f"**{summary['failed_chunks']} chunk(s) failed after retries**; their claims have `error` checkpoints and will be retried by the next run.",
        ]
    if summary["chunks_leased_elsewhere"]:
        lines += [
            "",
            f"{summary['chunks_leased_elsewhere']} chunk(s) were being checked by another worker.",
        ]
    by_rule = Counter(row["rule"] for row in held)
    if by_rule:
        lines += [
            "",
            "## Held by rule",
            "",
            "| rule | title | claims held |",
            "| --- | --- | ---: |",
        ]
        lines += [
            f"| {rule} | {titles.get(rule, '')} | {count:,} |"
            for rule, count in by_rule.most_common(15)
        ]
    lines += [
        "",
        "Claims written in this run are counted above; claims already checked under this rule set were skipped.",
    ]
    return "\n".join(lines)
