"""Planner statistics: tables grown in bulk are analyzed as the run goes, on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, insert, select, text

from rules.codes import PayerKind
from rules.outcomes import PRE_SUBMISSION_STEPS
from tasks.checking import check_chunk
from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.db.statistics import GROWTH, MIN_PAGES, refresh_statistics, stale_tables
from tasks.intake.loader import load_paths
from tasks.rule_source import current_rule_set
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
        check_chunk(postgres_db, ids, PRE_SUBMISSION_STEPS, current_rule_set())
        # Refreshed before each step: the figures describe the checkpoints of the steps before.
        assert _seen_by_analyze(postgres_db, "claim_checkpoint")[1] >= len(ids)
