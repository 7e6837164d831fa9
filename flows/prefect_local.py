"""Prefect's local mode, for flows started from the command line or a benchmark with no
Prefect server named (no PREFECT_API_URL): the flow starts a temporary server of its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect.settings import (
    PREFECT_SERVER_ANALYTICS_ENABLED,
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
    """Within the block, a temporary server is waited for 120 s and sends no usage analytics
    (the sends fail on a closed network, noisily), unless the user set either themselves."""
    settings = get_current_settings().server
    updates: dict[Any, Any] = {}
    if "startup_timeout_seconds" not in settings.ephemeral.model_fields_set:
        updates[PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS] = LOCAL_SERVER_WAIT_SECONDS
    if "analytics_enabled" not in settings.model_fields_set:
        updates[PREFECT_SERVER_ANALYTICS_ENABLED] = False
    with temporary_settings(updates=updates):
        yield
