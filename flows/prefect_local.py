"""Prefect's local mode, for flows started from the command line or a benchmark with no
Prefect server named (no PREFECT_API_URL): the flow starts a temporary server of its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect.settings import (
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    get_current_settings,
    temporary_settings,
)

# Prefect gives its temporary server 20 s to answer. A first run builds Prefect's database
# while the server starts, which a busy 2-core machine can take longer than that to do, and
# a slow start is no reason to fail a day's intake.
LOCAL_SERVER_WAIT_SECONDS = 120


@contextmanager
def local_mode() -> Iterator[None]:
    """Within the block, a temporary server is waited for 120 s, unless the user chose a wait
    of their own (PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)."""
    ephemeral = get_current_settings().server.ephemeral
    if "startup_timeout_seconds" in ephemeral.model_fields_set:
        yield
        return
    wait = {PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: LOCAL_SERVER_WAIT_SECONDS}
    with temporary_settings(updates=wait):
        yield
