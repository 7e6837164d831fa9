"""One run per inbox: a lease row in the claim database names the run reading a folder.

A run takes the lease before it looks at the inbox and gives it back when done; a second
run finds it held and reads nothing. A lease runs out (`ttl`) unless renewed, so a run on
a machine that died does not hold the inbox for ever; a holder on this machine whose
process is gone gives it up at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.db.work import holder_is_dead

TTL = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Held:
    """Who holds an inbox, since when."""

    holder: str
    since: dt.datetime

    def describe(self) -> str:
        return f"{self.holder}, since {self.since:%Y-%m-%d %H:%M} UTC"


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def inbox_key(inbox: Path) -> str:
    return hashlib.sha256(str(inbox.resolve()).encode()).hexdigest()


def take(engine: Engine, inbox: Path, holder: str, *, ttl: dt.timedelta = TTL) -> Held | None:
    """Take the inbox's lease for `holder`: None when taken, else who holds it."""
    key, now = inbox_key(inbox), dt.datetime.now(dt.UTC)
    with session_scope(engine) as session:
        row = session.get(m.InboxLease, key)
        if row is None:
            try:
                with session.begin_nested():
                    session.add(
                        m.InboxLease(
                            inbox_key=key,
                            inbox=str(inbox.resolve()),
                            holder=holder,
                            acquired_at=now,
                            expires_at=now + ttl,
                        )
                    )
                return None
            except IntegrityError:  # another run took it between the read and the insert
                row = session.get(m.InboxLease, key, populate_existing=True)
                assert row is not None
        current = Held(row.holder, row.acquired_at)
        if row.holder != holder and row.expires_at > now and not holder_is_dead(row.holder):
            return current
        # Expired, or its process is gone: take it over, unless another run just did.
        taken = session.connection().execute(
            update(m.InboxLease)
            .where(m.InboxLease.inbox_key == key, m.InboxLease.holder == row.holder)
            .values(holder=holder, acquired_at=now, expires_at=now + ttl)
        )
        return None if taken.rowcount == 1 else current


def renew(engine: Engine, inbox: Path, holder: str, *, ttl: dt.timedelta = TTL) -> bool:
    """Extend the lease; False when `holder` no longer holds it."""
    with session_scope(engine) as session:
        done = session.connection().execute(
            update(m.InboxLease)
            .where(m.InboxLease.inbox_key == inbox_key(inbox), m.InboxLease.holder == holder)
            .values(expires_at=dt.datetime.now(dt.UTC) + ttl)
        )
        return done.rowcount == 1


def give_back(engine: Engine, inbox: Path, holder: str) -> None:
    with session_scope(engine) as session:
        session.execute(
            delete(m.InboxLease).where(
                m.InboxLease.inbox_key == inbox_key(inbox), m.InboxLease.holder == holder
            )
        )


def holder_of(engine: Engine, inbox: Path) -> Held | None:
    with session_scope(engine) as session:
        row = session.scalars(
            select(m.InboxLease).where(m.InboxLease.inbox_key == inbox_key(inbox))
        ).first()
        return Held(row.holder, row.acquired_at) if row else None
