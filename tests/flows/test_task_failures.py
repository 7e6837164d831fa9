"""What a failing task leaves in Prefect: the error's kind and a first line with quoted
values withheld, never the database server's DETAIL or CONTEXT (which quote the row)."""

from __future__ import annotations

import sqlite3

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from tasks.db.session import make_engine
from tasks.retry import TaskFailure, io_task
from tasks.transient import is_transient

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]
SECRET = "Marisol Okafor said she relapsed"


def _logs_of(run_id: object) -> str:
    with get_client(sync_client=True) as client:
        logs = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
    return "\n".join(log.message for log in logs)


def test_a_database_servers_text_stays_in_the_task(postgres_url: str):
    """PostgreSQL quotes the refused JSON in its CONTEXT line; Prefect gets none of it."""
    engine = make_engine(postgres_url)

    @io_task(name="bad-json")
    def bad_json() -> None:
        with engine.connect() as connection:
            connection.execute(text(f'SELECT \'{{"note": "{SECRET}\'::jsonb'))

    @flow(name="runs-bad-json")
    def runs() -> str:
        state = bad_json(return_state=True)
        return state.message or ""

    state = runs(return_state=True)
    message = state.result()
    assert message.startswith(
        "Task run encountered an exception TaskFailure: InvalidTextRepresentation"
    )
    said = message + _logs_of(state.state_details.flow_run_id)
    assert "Okafor" not in said and "relapsed" not in said
    engine.dispose()


def test_a_failure_keeps_whether_it_is_worth_a_retry():
    """The scrubbed failure still says transient or not, so retries go on as before."""
    calls: list[int] = []

    @io_task(name="locked-then-fine")
    def locked_then_fine() -> int:
        calls.append(1)
        if len(calls) == 1:
            locked = sqlite3.OperationalError("database is locked")
            raise OperationalError("UPDATE claim", {}, locked)
        return len(calls)

    @flow(name="retries")
    def retries() -> int:
        return locked_then_fine.with_options(retry_delay_seconds=0)()

    assert retries() == 2
    assert is_transient(TaskFailure("x", transient=True))
    assert not is_transient(TaskFailure("x", transient=False))
