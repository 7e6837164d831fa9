"""What people read in the Prefect UI: markdown summaries and tables, with claim ids only."""

from __future__ import annotations

import urllib.parse
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect.artifacts import create_link_artifact
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from rules.loader import RuleSet
from rules.outcomes import CheckpointStatus, Severity, Step
from tasks.db import models as m
from tasks.db import work
from tasks.db.session import session_scope

TABLE_LIMIT = 500


@dataclass
class Held:
    """The batch's held findings: counted by rule over all, listed for the first claims only."""

    rows: list[dict[str, Any]] = field(default_factory=list)  # in claim-id order
    by_rule: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_rule.values())


def held_claims(
    engine: Engine, batch_key: str, steps: list[Step], limit: int | None = TABLE_LIMIT
) -> Held:
    """Held findings of the batch's claims (their current checkpoints).

    Every finding is counted; only the first `limit` are kept as rows, so a million-claim
    batch does not hold a hundred thousand findings to show five hundred.
    """
    held = Held()
    with session_scope(engine) as session:
        numbers = session.scalars(
            select(m.WorkChunk.chunk_no)
            .where(m.WorkChunk.batch_key == batch_key, m.WorkChunk.step == steps[0])
            .order_by(m.WorkChunk.chunk_no)
        ).all()
        # One chunk's ids at a time: an ORM query buffers every row it returns, and a
        # million-claim batch's id lists are some 80 MB.
        for chunk_no in numbers:
            claim_ids = work.chunk_claims(session, batch_key, steps[0], chunk_no)
            rows = [row for step in steps for row in _held_rows(session, claim_ids, step)]
            held.by_rule.update(row["rule"] for row in rows)
            # A batch's chunks follow claim-id order, so sorting within one keeps the order.
            kept = sorted(rows, key=lambda r: (r["claim_id"], r["step"], r["rule"]))
            if limit is not None:
                kept = kept[: max(limit - len(held.rows), 0)]
            held.rows += kept
    return held


def _held_rows(session: Session, claim_ids: list[str], step: Step) -> list[dict[str, Any]]:
    """One query per chunk and step: the newest checkpoint of each claim, if held (the
    claims' ids as a 5,000-long IN list; SQLite allows 32,766)."""
    cp = m.ClaimCheckpoint
    newest = (
        select(func.max(cp.id))
        .where(cp.step == step, cp.claim_id.in_(claim_ids))
        .group_by(cp.claim_id)
    )
    query = select(cp.claim_id, cp.findings).where(
        cp.id.in_(newest), cp.status == CheckpointStatus.HELD
    )
    return [
        # What a biller acts on first (the claim, the fix), then why: the UI cuts a wide
        # table off on the right.
        {
            "claim_id": claim_id,
            "fix": f.fix,
            "rule": f.rule_id,
            "step": step.value,
            "line": f.line_number or "",
            "finding": f.message,
        }
        for claim_id, findings in session.execute(query)
        for f in findings
        if f.severity is Severity.HELD
    ]


def lifecycle_markdown(summary: dict[str, Any], held: Held, rule_set: RuleSet) -> str:
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
    by_rule = held.by_rule
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


REPORT_TITLES = {
    "html": "Revenue-leak report",
    "appeals": "Appeals queue (CSV)",
    "held": "Held claims queue (CSV)",
    "underpaid": "Underpaid lines (CSV)",
    "unmatched": "Unmatched remittance items (CSV)",
}


def report_addresses(
    files: Mapping[str, Path], *, served: Path, base_url: str | None
) -> dict[str, str]:
    """Where a browser opens each report file: its address under `base_url`, which publishes
    the folder `served` (`make serve`); files elsewhere, or nothing served, have none."""
    if not base_url:
        return {}
    root = served.resolve()
    addresses = {}
    for name, path in files.items():
        try:
            relative = path.resolve().relative_to(root)
        except ValueError:
            continue
        addresses[name] = f"{base_url.rstrip('/')}/{urllib.parse.quote(relative.as_posix())}"
    return addresses


def report_lines(files: Mapping[str, Path], addresses: Mapping[str, str]) -> list[str]:
    """The report's files as markdown: links where served, else paths on the server."""
    return [
        f"- [{REPORT_TITLES.get(name, name)}]({addresses[name]})"
        if name in addresses
        else f"- {REPORT_TITLES.get(name, name)}: `{path}` (on the server)"
        for name, path in files.items()
    ]


def publish_report_link(addresses: Mapping[str, str]) -> None:
    """A link artifact to the HTML report, the one a person opens from the run's page."""
    if "html" in addresses:
        create_link_artifact(
            addresses["html"],
            link_text=REPORT_TITLES["html"],
            key="leak-report",
            description="The revenue-leak report: leaks, appeals, held claims, trends",
        )
