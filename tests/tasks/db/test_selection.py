"""Selecting claims: each criterion as one query, read a page at a time, on both databases.

Every selection is compared with the same question answered the slow, obvious way: read
every claim and checkpoint and decide in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from rules.engine import StepResult
from rules.loader import default_rule_set
from rules.outcomes import PRE_SUBMISSION_STEPS, CheckpointStatus, Severity, Step
from tasks.checking import check_chunk, record_errors
from tasks.db import models as m
from tasks.db.checkpoints import append_checkpoints
from tasks.db.selection import IN_CHUNK, claim_pages, select_claims
from tasks.db.session import session_scope
from tasks.inbox import load_paths
from tasks.synthetic.defects import Defect
from tasks.synthetic.generator import GeneratorConfig, generate

STEPS = list(PRE_SUBMISSION_STEPS)


@pytest.fixture
def checked_in_part(db: Engine, tmp_path: Path) -> Engine:
    """300 claims: the first 200 checked in steps 1-4, but 3 errored in one step and 2 changed since."""
    generate(GeneratorConfig(seed=12, claims=300, rates=dict.fromkeys(Defect, 0.05)), tmp_path)
    load_paths(db, [tmp_path])
    with session_scope(db) as session:
        ids = sorted(session.scalars(select(m.Claim.claim_id)))
    rule_set = default_rule_set()
    check_chunk(db, [*ids[:10], *ids[13:200]], STEPS, rule_set)
    others = [s for s in STEPS if s is not Step.DOCUMENTATION]
    check_chunk(db, ids[10:13], others, rule_set)
    record_errors(db, ids[10:13], Step.DOCUMENTATION, rule_set, "injected")
    with session_scope(db) as session:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
        session.execute(
            update(m.Claim).where(m.Claim.claim_id.in_(ids[20:22])).values(received_at=later)
        )
    return db


def _all_claims(engine: Engine) -> dict[str, m.Claim]:
    with session_scope(engine) as session:
        return {c.claim_id: c for c in session.scalars(select(m.Claim))}


def _newest(engine: Engine) -> dict[tuple[str, Step], m.ClaimCheckpoint]:
    newest: dict[tuple[str, Step], m.ClaimCheckpoint] = {}
    with session_scope(engine) as session:
        for cp in session.scalars(select(m.ClaimCheckpoint).order_by(m.ClaimCheckpoint.id)):
            newest[(cp.claim_id, cp.step)] = cp
    return newest


def _unchecked_slowly(engine: Engine) -> list[str]:
    """No non-error checkpoint started after the claim arrived, for some step."""
    claims = _all_claims(engine)
    current: set[tuple[str, Step]] = set()
    with session_scope(engine) as session:
        for cp in session.scalars(select(m.ClaimCheckpoint)):
            received = claims[cp.claim_id].received_at
            if cp.status is not CheckpointStatus.ERROR and _utc(cp.started_at) >= _utc(received):
                current.add((cp.claim_id, cp.step))
    return sorted(cid for cid in claims if any((cid, s) not in current for s in STEPS))


def _held_slowly(engine: Engine, rule_id: str) -> list[str]:
    return sorted(
        {
            cid
            for (cid, _step), cp in _newest(engine).items()
            if any(f.rule_id == rule_id and f.severity is Severity.HELD for f in cp.findings)
        }
    )


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _commonest_held_rule(engine: Engine) -> str:
    rules = Counter(
        f.rule_id
        for cp in _newest(engine).values()
        for f in cp.findings
        if f.severity is Severity.HELD
    )
    return rules.most_common(1)[0][0]


def test_unchecked_claims_are_new_errored_or_changed_since_checking(checked_in_part: Engine):
    with session_scope(checked_in_part) as session:
        found = select_claims(session, unchecked_steps=STEPS)
        ids = sorted(session.scalars(select(m.Claim.claim_id)))
    assert found == _unchecked_slowly(checked_in_part)
    # The 100 never checked, the 3 whose documentation check errored, the 2 changed since.
    assert found == sorted([*ids[10:13], *ids[20:22], *ids[200:]])


def test_a_held_claim_leaves_the_selection_when_a_newer_checkpoint_passes(
    checked_in_part: Engine,
):
    rule_id = _commonest_held_rule(checked_in_part)
    with session_scope(checked_in_part) as session:
        before = select_claims(session, held_by_rule=rule_id)
    assert before and before == _held_slowly(checked_in_part, rule_id)
    cleared = before[0]
    step = next(
        s
        for (cid, s), cp in _newest(checked_in_part).items()
        if cid == cleared and any(f.rule_id == rule_id for f in cp.findings)
    )
    passed = StepResult(cleared, step, CheckpointStatus.PASSED, (), default_rule_set().version)
    with session_scope(checked_in_part) as session:
        append_checkpoints(
            session,
            [passed],
            attempts={cleared: 9},
            flow_run_id=None,
            started_at=dt.datetime.now(dt.UTC),
        )
        after = select_claims(session, held_by_rule=rule_id)
    assert after == _held_slowly(checked_in_part, rule_id)
    assert cleared not in after and set(after) < set(before)


def test_criteria_combine_as_an_intersection(checked_in_part: Engine):
    claims = _all_claims(checked_in_part)
    payer = Counter(c.payer_id for c in claims.values()).most_common(1)[0][0]
    dates = sorted({c.service_date for c in claims.values()})
    start = dates[len(dates) // 3]
    with session_scope(checked_in_part) as session:
        found = select_claims(session, payer_id=payer, service_from=start, unchecked_steps=STEPS)
    slowly = [
        cid
        for cid in _unchecked_slowly(checked_in_part)
        if claims[cid].payer_id == payer and claims[cid].service_date >= start
    ]
    assert found == slowly and found


def test_pages_cover_the_selection_in_order_with_none_repeated(checked_in_part: Engine):
    with session_scope(checked_in_part) as session:
        whole = select_claims(session, unchecked_steps=STEPS)
        pages = list(claim_pages(session, size=7, unchecked_steps=STEPS))
        resumed = list(claim_pages(session, size=7, after=pages[2][-1], unchecked_steps=STEPS))
    assert [len(p) for p in pages[:-1]] == [7] * (len(pages) - 1) and 0 < len(pages[-1]) <= 7
    assert [cid for page in pages for cid in page] == whole
    # Reading on from the last id seen gives the same pages as reading on in one go.
    assert resumed == pages[3:]


def test_named_claims_keep_those_that_exist_and_match_once_each(checked_in_part: Engine):
    with session_scope(checked_in_part) as session:
        ids = sorted(session.scalars(select(m.Claim.claim_id)))
        unchecked = set(select_claims(session, unchecked_steps=STEPS))
        # More names than one IN list holds, repeated, out of order, some not claims at all.
        named = [*reversed(ids), *ids[:50], *(f"NO-SUCH-{n}" for n in range(IN_CHUNK))]
        assert select_claims(session, claim_ids=named) == ids
        assert select_claims(session, claim_ids=named, unchecked_steps=STEPS) == sorted(unchecked)
        pages = list(claim_pages(session, size=40, claim_ids=named))
        after = list(claim_pages(session, size=40, after=ids[99], claim_ids=named))
    assert [cid for page in pages for cid in page] == ids
    assert [cid for page in after for cid in page] == ids[100:]
