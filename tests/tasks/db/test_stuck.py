"""The stuck-claims monitor: one counted, paged query per kind; what it reads does not grow
with the claims on file."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import ORMExecuteState, Session

from rules.loader import default_rule_set
from rules.outcomes import PRE_SUBMISSION_STEPS, Step
from tasks.checking import check_chunk, record_errors
from tasks.db import models as m
from tasks.db.repository import mark_submitted
from tasks.db.session import session_scope
from tasks.db.stuck import StuckKind, StuckPolicy, find_kind, find_stuck
from tasks.inbox import load_paths
from tasks.pipeline import check_selection
from tasks.runtime import Runtime
from tasks.synthetic.generator import GeneratorConfig, generate
from tests.conftest import sqlite_engine

# Far enough on that every unsent claim is near its filing limit and every hold is old.
POLICY = StuckPolicy(
    as_of=dt.date(2030, 1, 1),
    held_days=14,
    ready_days=3,
    remittance_days={"_default": 30, "medicare": 45},
    filing_days={"_default": 90, "medicare": 365},
    warn_fraction=0.8,
)


def _running(
    session: Session, key: str, step: Step, claim_ids: list[str], ends: dt.datetime
) -> None:
    """A work chunk left running by a worker whose lease ends at `ends`."""
    session.add(
        m.WorkChunk(
            batch_key=key,
            step=step,
            chunk_no=0,
            claim_ids=claim_ids,
            state="running",
            leased_by=f"host:{key}",
            lease_expires_at=ends,
        )
    )


def _practice(folder: Path, claims: int) -> Engine:
    """Claims checked in steps 1-4; the first five sent, two errored in step 5, a dead lease."""
    engine = sqlite_engine(folder / "claims.db")
    generate(GeneratorConfig(seed=11, claims=claims), folder / "inbox")
    load_paths(engine, [folder / "inbox"])
    check_selection(
        Runtime.of_engine(engine), {"unchecked_steps": PRE_SUBMISSION_STEPS}, PRE_SUBMISSION_STEPS
    )
    with session_scope(engine) as session:
        ids = sorted(session.scalars(select(m.Claim.claim_id)))
        mark_submitted(session, ids[:5])
        _running(
            session, "dead", Step.VERIFICATION, ids[5:7], dt.datetime(2029, 1, 1, tzinfo=dt.UTC)
        )
    record_errors(engine, ids[7:9], Step.POST_PAYMENT_AUDIT, default_rule_set(), "TimeoutError")
    return engine


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return _practice(tmp_path_factory.mktemp("small"), 60)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return _practice(tmp_path_factory.mktemp("large"), 240)


def _reading(session: Session) -> list[int]:
    """Rows each statement of the session returns, as they are fetched."""
    counts: list[int] = []

    @event.listens_for(session, "do_orm_execute")
    def count(state: ORMExecuteState) -> Any:
        frozen = state.invoke_statement().freeze()
        counts.append(len(frozen().all()))
        return frozen()

    return counts


def test_each_kind_is_found_with_its_count(small: Engine):
    """Every kind is found, its count is of claims, and the page lists those claims."""
    with session_scope(small) as session:
        ids = sorted(session.scalars(select(m.Claim.claim_id)))
        pages = find_stuck(session, POLICY, limit=1_000)
    listed = {kind: {s.claim_id for s in page.claims} for kind, page in pages.items()}
    assert {kind: page.total for kind, page in pages.items()} == {
        kind: len(claims) for kind, claims in listed.items()
    }
    assert listed[StuckKind.RUNNING_PAST_LEASE] == set(ids[5:7])
    assert listed[StuckKind.ERRORED] == set(ids[7:9])
    assert listed[StuckKind.NO_REMITTANCE] == set(ids[:5])
    assert listed[StuckKind.TIMELY_FILING] == set(ids[5:])
    assert listed[StuckKind.HELD_TOO_LONG] and listed[StuckKind.READY_NOT_SUBMITTED]
    assert not listed[StuckKind.HELD_TOO_LONG] & listed[StuckKind.READY_NOT_SUBMITTED]


def test_a_kind_is_paged_by_claim_id(small: Engine):
    """Pages of three, each after the last id of the one before, list the whole kind once."""
    with session_scope(small) as session:
        whole = find_kind(session, StuckKind.TIMELY_FILING, POLICY, limit=1_000)
        paged: list[str] = []
        after = None
        while True:
            page = find_kind(session, StuckKind.TIMELY_FILING, POLICY, limit=3, after=after)
            assert page.total == whole.total
            if not page.claims:
                break
            paged += [s.claim_id for s in page.claims]
            after = paged[-1]
    assert paged == [s.claim_id for s in whole.claims] and len(paged) == whole.total > 3


def test_what_the_monitor_reads_does_not_grow_with_the_claims_on_file(small: Engine, large: Engine):
    """Four times the claims on file, the same statements and the same rows read; only the
    counts grow."""
    read, totals = {}, {}
    for name, engine in (("small", small), ("large", large)):
        with session_scope(engine) as session:
            counts = _reading(session)
            pages = find_stuck(session, POLICY, limit=2)
        read[name], totals[name] = counts, sum(page.total for page in pages.values())
    assert read["small"] == read["large"]
    assert sum(read["large"]) <= 6 * (1 + 2 + 2)  # a count, a page, its details, per kind
    assert totals["large"] > 3 * totals["small"]


def test_a_claim_whose_lease_ran_out_in_two_steps_is_one_claim(tmp_path: Path):
    """Counted once, paged by claim: a page of one lists both of its steps; judged today, a
    lease that ends later today has not run out."""
    engine = _practice(tmp_path, 30)
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        ids = sorted(session.scalars(select(m.Claim.claim_id)))
        leases = [
            ("dead-1", Step.VERIFICATION, ids[20:22], now - dt.timedelta(days=1)),
            ("dead-2", Step.CODE_CONFIRMATION, ids[20:22], now - dt.timedelta(hours=1)),
            ("live", Step.VERIFICATION, ids[24:26], now + dt.timedelta(minutes=10)),
        ]
        for key, step, claims, ends in leases:
            _running(session, key, step, claims, ends)
    today = dataclasses.replace(POLICY, as_of=now.date())
    with session_scope(engine) as session:
        first = find_kind(session, StuckKind.RUNNING_PAST_LEASE, today, limit=1)
        second = find_kind(
            session, StuckKind.RUNNING_PAST_LEASE, today, limit=1, after=first.claims[0].claim_id
        )
    assert first.total == second.total == 2  # the chunk of _practice ends in 2029
    assert [(s.claim_id, s.step) for s in first.claims] == [
        (ids[20], "code_confirmation"),
        (ids[20], "verification"),
    ]
    assert {s.claim_id for s in second.claims} == {ids[21]}


def test_a_dead_workers_claims_checked_by_a_later_run_are_not_stuck(tmp_path: Path):
    """A chunk left running by a dead worker stops counting a claim once any later run has
    checked that claim's step; the claims nobody checked since are still stuck."""
    engine = _practice(tmp_path, 30)
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        ids = sorted(session.scalars(select(m.Claim.claim_id)))
        _running(session, "abandoned", Step.CODING_EDITS, ids[20:24], now - dt.timedelta(hours=1))
    today = dataclasses.replace(POLICY, as_of=now.date())
    with session_scope(engine) as session:
        before = find_kind(session, StuckKind.RUNNING_PAST_LEASE, today, limit=10)
    check_chunk(engine, ids[20:22], [Step.CODING_EDITS], default_rule_set(), force=True)
    with session_scope(engine) as session:
        after = find_kind(session, StuckKind.RUNNING_PAST_LEASE, today, limit=10)
    assert [s.claim_id for s in before.claims] == ids[20:24]
    assert [s.claim_id for s in after.claims] == ids[22:24] and after.total == 2


def test_held_now_names_the_rules_holding_each_claim(small: Engine):
    """What `claimguard submitted` warns of: claims sent while a current checkpoint holds them."""
    from tasks.db.repository import held_now

    with session_scope(small) as session:
        ids = sorted(session.scalars(select(m.Claim.claim_id)))
        held = held_now(session, ids)
        current_held = {
            cp.claim_id
            for cp in session.scalars(select(m.ClaimCheckpoint))
            if cp.status == "held"
            and cp.id
            == max(
                c.id
                for c in session.scalars(
                    select(m.ClaimCheckpoint).where(
                        m.ClaimCheckpoint.claim_id == cp.claim_id,
                        m.ClaimCheckpoint.step == cp.step,
                    )
                )
            )
        }
    assert held and set(held) == current_held
    assert all(rules and all("-" in rule for rule in rules) for rules in held.values())
