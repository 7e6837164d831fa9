"""The one decision of what is worth retrying: transient infrastructure, never bad data.

Database locks and dropped connections, and a source file that vanished or could not be
read, may succeed on a second try. A validation error, a broken rule file or a unique-key
conflict will fail the same way every time, so retrying them only delays the report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.tasks import exponential_backoff
from sqlalchemy import exc as sa_exc

from tasks.intake.reader import SourceReadError

P = ParamSpec("P")
R = TypeVar("R")
RETRIES = 3

_TRANSIENT_WORDS = (
    "database is locked",
    "database table is locked",
    "could not connect",
    "connection refused",
    "connection reset",
    "server closed the connection",
    "terminating connection",
    "connection timed out",
    "disk i/o error",
    "deadlock detected",
    "could not serialize access",
)


class TransientSourceError(OSError):
    """A source (file, lookup) failed in a way that may pass; raised by tests and adapters."""


def is_transient(error: BaseException) -> bool:
    """True when `error` is an infrastructure hiccup that a retry may get past."""
    if isinstance(error, SourceReadError | TransientSourceError | TimeoutError | ConnectionError):
        return True
    if isinstance(error, sa_exc.DisconnectionError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error, sa_exc.OperationalError):
            text = str(error.orig).lower()
            return any(word in text for word in _TRANSIENT_WORDS)
    return False


def retry_if_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect retry_condition_fn: retry a failed task only when its exception is transient."""
    try:
        state.result()
    except BaseException as error:
        return is_transient(error)
    return False


def exception_of(state: State[Any]) -> BaseException:
    """The exception a failed task run's state holds."""
    error = state.result(raise_on_failure=False)
    return error if isinstance(error, BaseException) else RuntimeError(state.message or "failed")


def safe_error(error: BaseException) -> str:
    """An error's type and first line, without SQL parameters or record content."""
    if isinstance(error, sa_exc.StatementError) and error.orig is not None:
        first = str(error.orig).splitlines()[0] if str(error.orig) else ""
        return f"{type(error).__name__}: {first[:200]}"
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text[:200]}"


def io_task(
    *, name: str, task_run_name: str | None = None
) -> Callable[[Callable[P, R]], Task[P, R]]:
    """A Prefect task that touches the database or a source file: retried with backoff and
    jitter on transient failures only; no input hashing or result storage (its arguments
    are references, its results counts)."""
    return task(
        name=name,
        task_run_name=task_run_name,
        retries=RETRIES,
        retry_delay_seconds=exponential_backoff(backoff_factor=2),
        retry_jitter_factor=0.5,
        retry_condition_fn=retry_if_transient,
        cache_policy=NO_CACHE,
        persist_result=False,
    )
