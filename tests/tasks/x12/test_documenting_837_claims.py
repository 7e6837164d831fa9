"""An 837P claim has no session or note: step 3 says so; a later JSON packet documents it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import select

from rules.outcomes import PRE_SUBMISSION_STEPS, Step
from tasks.db import models as m
from tasks.db.selection import unchecked
from tasks.db.session import session_scope
from tasks.inbox import load_paths
from tasks.pipeline import check_selection
from tasks.reports.data import latest_checkpoints
from tasks.runtime import Runtime
from tasks.synthetic.generator import GeneratorConfig, generate
from tasks.synthetic.x12gen import write_claims

SEED = 41
PEOPLE = ("patient", "coverage", "authorization")


def _split(tmp_path: Path) -> tuple[Path, Path, Path]:
    """People only (no sessions, notes or claims); the 837P of the claims; the full packets."""
    full = tmp_path / "full"
    generate(GeneratorConfig(seed=SEED, claims=80), full)
    x12 = tmp_path / "x12"
    shutil.copytree(full, x12)
    write_claims(x12, seed=SEED)
    people = tmp_path / "people"
    people.mkdir()
    shutil.copy(full / "00-master-data.jsonl", people)
    for path in sorted(full.glob("packet-*.jsonl")):
        keep = [ln for ln in path.read_text().splitlines() if json.loads(ln)["type"] in PEOPLE]
        (people / path.name).write_text("\n".join(keep) + "\n")
    return people, next(x12.glob("*.837")), full


def _doc_rules(engine, claim_ids) -> dict[str, set[str]]:
    with session_scope(engine) as session:
        latest = latest_checkpoints(session, [Step.DOCUMENTATION], list(claim_ids))
    return {cid: {f.rule_id for f in latest[(cid, Step.DOCUMENTATION)][1]} for cid in claim_ids}


def test_an_undocumented_837p_claim_is_held_then_documented_by_a_json_packet(sqlite_db, tmp_path):
    people, claims_837, full = _split(tmp_path)
    load_paths(sqlite_db, [people])
    (report,) = load_paths(sqlite_db, [claims_837])
    assert report.quarantined == 0 and report.counts["insert"] == 80
    with session_scope(sqlite_db) as session:
        claim_ids = sorted(session.scalars(select(m.Claim.claim_id)))
        assert (
            session.scalars(select(m.Claim.session_id).where(m.Claim.session_id.is_not(None))).all()
            == []
        )
    check_selection(
        Runtime.of_engine(sqlite_db),
        {"unchecked_steps": PRE_SUBMISSION_STEPS},
        PRE_SUBMISSION_STEPS,
    )
    before = _doc_rules(sqlite_db, claim_ids)
    assert all("DEF-DOC-001" in rules for rules in before.values())

    reports = load_paths(sqlite_db, sorted(full.glob("*.jsonl")))
    assert sum(r.counts["update"] for r in reports if "packet" in r.path) == 80
    with session_scope(sqlite_db) as session:
        again = unchecked(session, PRE_SUBMISSION_STEPS)
        assert again == claim_ids  # documented claims are checked again
        sources = set(session.scalars(select(m.Claim.source)))
    assert sources == {"x12"}
    # The same claims as the first check, received again: a new batch, checked again.
    check_selection(
        Runtime.of_engine(sqlite_db),
        {"unchecked_steps": PRE_SUBMISSION_STEPS},
        PRE_SUBMISSION_STEPS,
    )
    after = _doc_rules(sqlite_db, claim_ids)
    assert not any("DEF-DOC-001" in rules for rules in after.values())


def test_a_json_claim_with_other_billing_content_is_a_conflict(sqlite_db, tmp_path):
    people, claims_837, full = _split(tmp_path)
    load_paths(sqlite_db, [people, claims_837])
    packet = next(full.glob("packet-*.jsonl"))
    claim = next(json.loads(ln) for ln in packet.read_text().splitlines() if '"type":"claim"' in ln)
    claim["lines"][0]["charge"] = "999.00"
    claim.pop("session_id")
    changed = tmp_path / "changed.jsonl"
    changed.write_text(json.dumps(claim) + "\n")
    (report,) = load_paths(sqlite_db, [changed])
    assert report.quarantined == 1
    ((_, reasons),) = report.problems
    assert "already loaded with different content" in reasons[0].found
