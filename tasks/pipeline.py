"""The whole main job in plain Python (no Prefect): for tests, scoring and benchmarks.

The flows do the same through Prefect tasks; this is what they orchestrate, so a test can
compare the two and a benchmark can measure what orchestration adds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from rules.outcomes import PRE_SUBMISSION_STEPS, Step
from tasks.checking import ChunkContexts, check_step
from tasks.db import models as m
from tasks.db.selection import awaiting_payment_audit
from tasks.db.session import session_scope
from tasks.intake.loader import FileReport, load_paths, packet_files
from tasks.remit.post import RemitFileReport, post_file
from tasks.rule_source import current_rule_set

CHUNK = 5000


@dataclass
class PipelineRun:
    loaded: list[FileReport] = field(default_factory=list)
    posted: list[RemitFileReport] = field(default_factory=list)
    claims_checked: int = 0
    claims_audited: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per phase and step


def check_claims(
    engine: Engine,
    claim_ids: Sequence[str],
    steps: Sequence[Step],
    *,
    force: bool = False,
    seconds: dict[str, float] | None = None,
) -> None:
    rule_set = current_rule_set()
    for start in range(0, len(claim_ids), CHUNK):
        chunk = claim_ids[start : start + CHUNK]
        contexts = ChunkContexts()
        for step in steps:
            began = time.perf_counter()
            check_step(engine, chunk, step, rule_set, force=force, contexts=contexts)
            if seconds is not None:
                seconds[step.value] = seconds.get(step.value, 0.0) + time.perf_counter() - began


def run(engine: Engine, folder: Path) -> PipelineRun:
    """Load the folder's claim files, check steps 1-4, post its 835s, audit them (step 5)."""
    began = time.perf_counter()
    result = PipelineRun(loaded=load_paths(engine, [folder]))
    result.seconds["intake"] = time.perf_counter() - began
    with session_scope(engine) as session:
        claim_ids = sorted(session.scalars(select(m.Claim.claim_id)))
    check_claims(engine, claim_ids, PRE_SUBMISSION_STEPS, seconds=result.seconds)
    result.claims_checked = len(claim_ids)
    began = time.perf_counter()
    result.posted = [post_file(engine, path) for path in packet_files([folder], remittances=True)]
    result.seconds["remittances"] = time.perf_counter() - began
    with session_scope(engine) as session:
        remitted = awaiting_payment_audit(session)
    check_claims(engine, remitted, [Step.POST_PAYMENT_AUDIT], force=True, seconds=result.seconds)
    result.claims_audited = len(remitted)
    return result
