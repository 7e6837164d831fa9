"""Prefect tasks that retry transient failures (tasks.transient decides which), and the
text of an error that is safe to show."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.tasks import exponential_backoff
from sqlalchemy import exc as sa_exc

from tasks.text import withhold_quoted
from tasks.transient import is_transient

P = ParamSpec("P")
R = TypeVar("R")
RETRIES = 3


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


class TaskFailure(RuntimeError):
    """A task's failure as Prefect keeps it (state, logs, events): the error's kind and its
    first line with quoted values withheld. The database server's own text (PostgreSQL's
    DETAIL and CONTEXT lines quote the row) and the statement never leave the task."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def safe_error(error: BaseException) -> str:
    """An error's type and first line, without SQL, parameters, quoted values or record content."""
    if isinstance(error, TaskFailure):
        return str(error)
    if isinstance(error, sa_exc.StatementError) and error.orig is not None:
        first = str(error.orig).splitlines()[0] if str(error.orig) else ""
        return f"{type(error.orig).__name__}: {withhold_quoted(first)[:200]}"
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {withhold_quoted(text)[:200]}"


def io_task(
    *, name: str, task_run_name: str | None = None
) -> Callable[[Callable[P, R]], Task[P, R]]:
    """A Prefect task that touches the database or a source file: retried with backoff and
    jitter on transient failures only; no input hashing or result storage (its arguments
    are references, its results counts). What it raises reaches Prefect as a TaskFailure."""
    as_task = task(
        name=name,
        task_run_name=task_run_name,
        retries=RETRIES,
        retry_delay_seconds=exponential_backoff(backoff_factor=2),
        retry_jitter_factor=0.5,
        retry_condition_fn=retry_if_transient,
        cache_policy=NO_CACHE,
        persist_result=False,
    )

    def decorate(fn: Callable[P, R]) -> Task[P, R]:
        @functools.wraps(fn)
        def scrubbed(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except Exception as error:
                raise TaskFailure(safe_error(error), transient=is_transient(error)) from None

        return as_task(scrubbed)

    return decorate
