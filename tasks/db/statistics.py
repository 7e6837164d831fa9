"""Planner statistics for the PostgreSQL tables a run has just grown.

PostgreSQL plans queries from statistics that only ANALYZE gathers (autovacuum runs it in
the background, where it is switched on, a minute or more behind). A table bulk-loaded
moments ago has none, or figures from when it was a tenth of its size. Without them the
planner takes `step = 'verification'` (one of four values) to match 0.5 % of the
checkpoints, reads every checkpoint of that step through the step index for each chunk,
and, in a prepared statement, compares each row against the 500 ids of the IN list one by
one: steps 1-4 at 100,000 claims took 75 times as long as at 10,000. So whoever writes in
bulk (intake batches, 835 sets, checkpoint chunks) asks for a refresh as it goes.

Growth is read from the table's size on disk against the size ANALYZE last saw
(`pg_class.relpages`): both are exact at once, where the activity counters
(`pg_stat_user_tables`) reach other sessions up to seconds late. Checkpoints are appended,
never updated, so growth is what changes the plans. SQLite plans well without statistics
here; it is left alone.
"""

from __future__ import annotations

from sqlalchemy import Engine, bindparam, text

from tasks.db.base import Base

GROWTH = 2.0  # analyze again once a table has doubled since ANALYZE last saw it
MIN_PAGES = 32  # smaller tables (256 KB: master data, a few hundred rows) plan well on defaults

_SIZES = text(
    "SELECT c.relname, c.relpages,"
    " pg_relation_size(c.oid) / current_setting('block_size')::int AS pages"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname IN :names"
).bindparams(bindparam("names", expanding=True))


def stale_tables(engine: Engine) -> list[str]:
    """The claim database's tables that have grown past GROWTH since their last ANALYZE."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        rows = connection.execute(_SIZES, {"names": sorted(Base.metadata.tables)})
        return sorted(
            name for name, seen, pages in rows if pages >= MIN_PAGES and pages > seen * GROWTH
        )


def refresh_statistics(engine: Engine) -> list[str]:
    """ANALYZE each stale table (see module docstring); returns the tables analyzed."""
    stale = stale_tables(engine)
    if not stale:
        return []
    quote = engine.dialect.identifier_preparer.quote
    # Autocommit, so the sampling holds no lock past its own statement; SKIP_LOCKED, so a
    # worker finding another already analyzing the table goes on instead of waiting.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for name in stale:
            connection.execute(text(f"ANALYZE (SKIP_LOCKED) {quote(name)}"))
    return stale
