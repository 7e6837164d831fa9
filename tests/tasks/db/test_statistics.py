"""Planner statistics: tables grown in bulk are analyzed as the run goes, on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text

from rules.codes import PayerKind
from rules.loader import default_rule_set
from rules.outcomes import PRE_SUBMISSION_STEPS, Step
from tasks.checking import check_chunk
from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.db.statistics import GROWTH, MIN_PAGES, refresh_statistics, stale_tables
from tasks.inbox import load_paths
from tasks.synthetic.generator import GeneratorConfig, generate


def _add_payers(engine: Engine, start: int, count: int) -> None:
    rows = [
        {
            "payer_id": f"payer_{i:06d}",
            "name": f"Payer {i}",
            "kind": PayerKind.COMMERCIAL,
            "content_hash": "0" * 64,
        }
        for i in range(start, start + count)
    ]
    with engine.begin() as connection:
        connection.execute(insert(m.Payer.__table__), rows)


def _seen_by_analyze(engine: Engine, table: str) -> tuple[int, float]:
    """(pages, rows) as the last ANALYZE recorded them; (0, -1) when never analyzed."""
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT relpages, reltuples FROM pg_class"
                " WHERE oid = to_regclass(quote_ident(current_schema()) || '.' || :name)"
            ),
            {"name": table},
        ).one()
    return int(row.relpages), float(row.reltuples)


class TestRefreshStatistics:
    def test_sqlite_is_left_alone(self, sqlite_db: Engine) -> None:
        """SQLite plans without statistics here: nothing is stale and nothing is analyzed."""
        _add_payers(sqlite_db, 0, 3000)
        assert stale_tables(sqlite_db) == []
        assert refresh_statistics(sqlite_db) == []

    def test_a_table_grown_in_bulk_is_analyzed_once(self, postgres_db: Engine) -> None:
        """A table past the minimum size with no statistics is analyzed; asking again does nothing."""
        assert _seen_by_analyze(postgres_db, "payer") == (0, -1)
        _add_payers(postgres_db, 0, 3000)
        assert "payer" in stale_tables(postgres_db)
        assert "payer" in refresh_statistics(postgres_db)
        pages, rows = _seen_by_analyze(postgres_db, "payer")
        assert pages >= MIN_PAGES
        assert rows == 3000
        assert "payer" not in stale_tables(postgres_db)
        assert "payer" not in refresh_statistics(postgres_db)

    def test_growth_past_the_factor_makes_a_table_stale_again(self, postgres_db: Engine) -> None:
        """Statistics are refreshed when the table outgrows what ANALYZE last saw by GROWTH."""
        _add_payers(postgres_db, 0, 4000)
        refresh_statistics(postgres_db)
        _add_payers(postgres_db, 4000, 100)  # 2.5 %: the old figures still describe it
        assert "payer" not in stale_tables(postgres_db)
        _add_payers(postgres_db, 4100, int(4000 * (GROWTH - 1)) + 400)
        assert "payer" in refresh_statistics(postgres_db)
        assert _seen_by_analyze(postgres_db, "payer")[1] > 4000 * GROWTH

    def test_a_small_table_plans_on_defaults(self, postgres_db: Engine) -> None:
        """Master data of a few rows stays below MIN_PAGES and is never analyzed."""
        _add_payers(postgres_db, 0, 20)
        assert "payer" not in stale_tables(postgres_db)


class TestRunsKeepStatisticsCurrent:
    def test_intake_and_checking_leave_no_table_stale(
        self, postgres_db: Engine, tmp_path: Path
    ) -> None:
        """After a load and a chunk's steps 1-4, the claim and checkpoint tables carry statistics."""
        generate(GeneratorConfig(seed=5, claims=1500), tmp_path)
        load_paths(postgres_db, [tmp_path])
        assert stale_tables(postgres_db) == []
        assert _seen_by_analyze(postgres_db, "claim")[1] > 0
        with session_scope(postgres_db) as session:
            ids = sorted(session.scalars(select(m.Claim.claim_id)))
        check_chunk(postgres_db, ids, PRE_SUBMISSION_STEPS, default_rule_set())
        # Refreshed before each step: the figures describe the checkpoints of the steps before.
        assert _seen_by_analyze(postgres_db, "claim_checkpoint")[1] >= len(ids)


class TestAStepOutgrowingItsStatistics:
    """The checkpoint table is stale for a step once it has grown by more than the rows of
    the step ANALYZE saw: every new row might be of that step."""

    @pytest.fixture
    def checked(self, postgres_db: Engine, tmp_path: Path) -> tuple[Engine, list[str]]:
        """1,500 claims through steps 1-4, every table analyzed since."""
        generate(GeneratorConfig(seed=5, claims=1500), tmp_path)
        load_paths(postgres_db, [tmp_path])
        with session_scope(postgres_db) as session:
            ids = sorted(session.scalars(select(m.Claim.claim_id)))
        check_chunk(postgres_db, ids, PRE_SUBMISSION_STEPS, default_rule_set())
        with postgres_db.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("ANALYZE"))
        return postgres_db, ids

    def _audit(self, engine: Engine, ids: list[str]) -> None:
        check_chunk(engine, ids, [Step.POST_PAYMENT_AUDIT], default_rule_set(), force=True)

    def test_a_steps_first_rows_make_the_table_stale_for_that_step_only(self, checked) -> None:
        """A few pages of a step ANALYZE never saw: stale for it, not for the steps it knows,
        and not by growth (the table is far from doubling)."""
        engine, ids = checked
        pages_before = _seen_by_analyze(engine, "claim_checkpoint")[0]
        self._audit(engine, ids[:200])
        assert _pages_now(engine, "claim_checkpoint") > pages_before
        audit = Step.POST_PAYMENT_AUDIT.value
        assert stale_tables(engine, step=audit) == ["claim_checkpoint"]
        assert stale_tables(engine) == []
        assert stale_tables(engine, step=Step.VERIFICATION.value) == []
        assert refresh_statistics(engine, step=audit) == ["claim_checkpoint"]
        assert stale_tables(engine, step=audit) == []

    def test_a_known_step_is_stale_once_growth_passes_the_rows_analyze_saw(self, checked) -> None:
        """Audits on a tenth of the claims, analyzed; more on another tenth is within what the
        statistics can be off by; on the rest, the audits may have more than doubled."""
        engine, ids = checked
        audit = Step.POST_PAYMENT_AUDIT.value
        tenth = len(ids) // 10
        self._audit(engine, ids[:tenth])
        refresh_statistics(engine, step=audit)
        self._audit(engine, ids[tenth : tenth + tenth // 2])
        assert stale_tables(engine, step=audit) == []
        self._audit(engine, ids[tenth + tenth // 2 :])
        assert stale_tables(engine, step=audit) == ["claim_checkpoint"]


def _pages_now(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT pg_relation_size(to_regclass(:name))"
                    " / current_setting('block_size')::int"
                ),
                {"name": table},
            ).scalar_one()
        )
