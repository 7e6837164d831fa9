"""Work chunks: plan a batch of claims into chunks per step, lease them, close them.

The batch key is derived from what is asked (the selection, the steps, the rule-set
version), so two runs asked the same thing share one set of chunks and lease from it:
on PostgreSQL `FOR UPDATE SKIP LOCKED` lets each worker take a different chunk; on SQLite
(one writer) the write lock serialises leases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rules.outcomes import Step
from tasks.db import models as m


class ChunkState(StrEnum):
    """Where one step of a chunk is: waiting, leased by a worker, finished, or failed (to
    be leased again)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    ERROR = "error"


# A plan's rows go to the database a few at a time: at most this many rows, or chunks
# holding this many claim ids in all (a 10,000-claim chunk is one row per step).
PLAN_ROWS_PER_INSERT = 80
PLAN_IDS_PER_INSERT = 40_000


def batch_key(
    claims: Iterable[str],
    steps: Sequence[Step],
    rule_set_version: str,
    salt: str = "",
    *,
    chunk_size: int = 0,
) -> str:
    """A stable name for 'these claims, these steps, this rule set, in chunks of this size'
    (plus a salt for forced runs): a run asked the same again finds the same chunks.

    `claims` are hashed as they come (claim ids, or ids with the time each was received),
    so a batch's claims can be streamed from the database.
    """
    digest = hashlib.sha256()
    for part in (rule_set_version, salt, ",".join(s.value for s in steps), str(chunk_size)):
        digest.update(part.encode() + b"\0")
    for claim in claims:
        digest.update(claim.encode() + b"\0")
    return digest.hexdigest()[:32]


class Planned(NamedTuple):
    claims: int
    chunks: int  # per step


def plan(
    session: Session, key: str, chunks: Iterable[Sequence[str]], steps: Sequence[Step]
) -> Planned:
    """Create the batch's chunks (one per page of ids given) unless they exist.

    Rows go a few chunks per statement: each row's ids are serialized to JSON as it is
    sent, and a million-claim batch sent at once would hold them all, once per step.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(m.WorkChunk).on_conflict_do_nothing(
        index_elements=["batch_key", "step", "chunk_no"]
    )
    rows: list[dict[str, Any]] = []
    claims = planned = held = 0
    for chunk_no, ids in enumerate(chunks):
        claims, planned, held = claims + len(ids), chunk_no + 1, held + len(ids) * len(steps)
        rows += [
            {
                "batch_key": key,
                "step": step,
                "chunk_no": chunk_no,
                "claim_ids": list(ids),
                "state": ChunkState.PENDING,
            }
            for step in steps
        ]
        if len(rows) >= PLAN_ROWS_PER_INSERT or held >= PLAN_IDS_PER_INSERT:
            session.execute(statement, rows)
            rows, held = [], 0
    if rows:
        session.execute(statement, rows)
    return Planned(claims=claims, chunks=planned)


def chunked(claim_ids: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """A list of ids in chunks of `size` (for a batch already held in memory)."""
    return (claim_ids[start : start + size] for start in range(0, len(claim_ids), size))


def lease(
    session: Session, key: str, step: Step, chunk_no: int, worker: str, seconds: int
) -> list[str] | None:
    """Take the chunk if it is pending, failed or its lease ran out; None if done or held by another."""
    now = dt.datetime.now(dt.UTC)
    where = (
        m.WorkChunk.batch_key == key,
        m.WorkChunk.step == step,
        m.WorkChunk.chunk_no == chunk_no,
    )
    holder = session.scalar(
        select(m.WorkChunk.leased_by).where(*where, m.WorkChunk.state == ChunkState.RUNNING)
    )
    # A worker on this machine that no longer exists (killed, crashed) holds nothing: its
    # chunk is taken now, not when the lease runs out.
    takeable = [worker, *([holder] if holder and holder_is_dead(holder) else [])]
    query = (
        select(m.WorkChunk)
        .where(
            *where,
            or_(
                m.WorkChunk.state.in_((ChunkState.PENDING, ChunkState.ERROR)),
                and_(m.WorkChunk.state == ChunkState.RUNNING, m.WorkChunk.lease_expires_at < now),
                # A retry of the same worker takes back its own lease.
                and_(m.WorkChunk.state == ChunkState.RUNNING, m.WorkChunk.leased_by.in_(takeable)),
            ),
        )
        .with_for_update(skip_locked=True)
    )
    chunk = session.scalars(query).first()
    if chunk is None:
        return None
    chunk.state, chunk.leased_by = ChunkState.RUNNING, worker
    chunk.lease_expires_at = now + dt.timedelta(seconds=seconds)
    chunk.attempts += 1
    return list(chunk.claim_ids)


def holder_is_dead(worker: str) -> bool:
    """True for a `host:pid` worker on this host whose process is gone."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's worker: only its lease expiry tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


def close(
    session: Session,
    key: str,
    step: Step,
    chunk_no: int,
    *,
    error: str | None = None,
    outcome: dict[str, Any] | None = None,
) -> None:
    """Mark a leased chunk done (with what checking it wrote), or failed with a reason (no patient data in it)."""
    values = {
        "state": ChunkState.ERROR if error else ChunkState.DONE,
        "last_error": error,
        "outcome": outcome,
        "finished_at": dt.datetime.now(dt.UTC),
        "lease_expires_at": None,
    }
    session.execute(
        update(m.WorkChunk)
        .where(
            m.WorkChunk.batch_key == key, m.WorkChunk.step == step, m.WorkChunk.chunk_no == chunk_no
        )
        .values(**values)
    )


def finished_by(
    session: Session, key: str, step: Step, chunk_no: int, worker: str
) -> dict[str, Any] | None:
    """What `worker` recorded when it finished this chunk; None if it is not done or done by another."""
    query = select(m.WorkChunk.outcome).where(
        m.WorkChunk.batch_key == key,
        m.WorkChunk.step == step,
        m.WorkChunk.chunk_no == chunk_no,
        m.WorkChunk.state == ChunkState.DONE,
        m.WorkChunk.leased_by == worker,
    )
    return session.scalar(query)


def expired_leases(session: Session, now: dt.datetime) -> list[m.WorkChunk]:
    """Chunks marked running whose lease ran out before `now`: their dead worker's claims
    wait in that step for a rerun of the batch, or for a later run to check them."""
    return list(
        session.scalars(
            select(m.WorkChunk).where(
                m.WorkChunk.state == ChunkState.RUNNING, m.WorkChunk.lease_expires_at < now
            )
        )
    )


def chunk_claims(session: Session, key: str, step: Step, chunk_no: int) -> list[str]:
    """The claim ids of one chunk (empty if it does not exist)."""
    query = select(m.WorkChunk.claim_ids).where(
        m.WorkChunk.batch_key == key, m.WorkChunk.step == step, m.WorkChunk.chunk_no == chunk_no
    )
    return list(session.scalar(query) or [])
