"""One run per inbox: the lease is taken once, refused to a second run, and given up by a
run that died or let it run out."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

from sqlalchemy import Engine, update

from tasks.db import inbox_lease
from tasks.db import models as m
from tasks.db.session import session_scope
from tests.support.processes import dead_pid


def test_a_second_run_is_told_who_holds_the_inbox(db: Engine, tmp_path: Path):
    me = inbox_lease.this_process()
    assert inbox_lease.take(db, tmp_path, me) is None
    other = f"{socket.gethostname()}:{1}"  # pid 1 is alive on every machine
    held = inbox_lease.take(db, tmp_path, other)
    assert held is not None and held.holder == me
    assert inbox_lease.take(db, tmp_path, me) is None  # the holder may take it again
    inbox_lease.give_back(db, tmp_path, me)
    assert inbox_lease.holder_of(db, tmp_path) is None
    assert inbox_lease.take(db, tmp_path, other) is None


def test_two_inboxes_are_leased_apart(db: Engine, tmp_path: Path):
    assert inbox_lease.take(db, tmp_path / "a", "host:1") is None
    assert inbox_lease.take(db, tmp_path / "b", "host:2") is None


def test_a_lease_that_ran_out_is_taken_over(db: Engine, tmp_path: Path):
    assert inbox_lease.take(db, tmp_path, "elsewhere:123") is None
    with session_scope(db) as session:
        session.execute(
            update(m.InboxLease).values(
                expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            )
        )
    assert inbox_lease.take(db, tmp_path, "here:456") is None
    held = inbox_lease.holder_of(db, tmp_path)
    assert held is not None and held.holder == "here:456"
    assert not inbox_lease.renew(db, tmp_path, "elsewhere:123")  # it is not theirs any more
    assert inbox_lease.renew(db, tmp_path, "here:456")


def test_a_holder_whose_process_ended_gives_it_up(db: Engine, tmp_path: Path):
    """A run killed on this machine does not hold the inbox until its lease runs out."""
    dead = f"{socket.gethostname()}:{dead_pid()}"
    assert inbox_lease.take(db, tmp_path, dead) is None
    assert inbox_lease.take(db, tmp_path, inbox_lease.this_process()) is None
