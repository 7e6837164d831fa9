"""Planner statistics for the PostgreSQL tables a run has just grown.

PostgreSQL plans queries from statistics that only ANALYZE gathers (autovacuum runs it in
the background, where it is switched on, a minute or more behind). A table bulk-loaded
moments ago has none, or figures from when it was a tenth of its size. Without them the
planner takes `step = 'verification'` (one of four values) to match 0.5 % of the
checkpoints, reads every checkpoint of that step through the step index for each chunk,
and, in a prepared statement, compares each row against the 500 ids of the IN list one by
one, so a run grows slower with every chunk. So whoever writes in bulk (intake batches, 835 sets, checkpoint chunks) asks for a refresh as it goes.

Growth is read from the table's size on disk against the size ANALYZE last saw
(`pg_class.relpages`): both are exact at once, where the activity counters
(`pg_stat_user_tables`) reach other sessions up to seconds late. Checkpoints are appended,
never updated, so growth is what changes the plans. SQLite plans well without statistics
here; it is left alone.

Doubling is not enough for the checkpoint table, whose queries each name one step: a step
can go from no rows to a fifth of the table (the first post-payment audits) while the table
grows by a quarter. Statistics from before then say the step has no rows, and the planner
reads every audit once per claim. So a checkpoint writer names its step, and the table is analyzed again once
it has grown by more than the rows ANALYZE saw of that step: every new row might be of the
step, so past that point the step may have more than doubled unseen.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, bindparam, text

from tasks.db.base import Base

GROWTH = 2.0  # analyze again once a table has doubled since ANALYZE last saw it
MIN_PAGES = 32  # smaller tables (256 KB: master data, a few hundred rows) plan well on defaults

_SIZES = text(
    "SELECT c.relname, c.relpages,"
    " pg_relation_size(c.oid) / current_setting('block_size')::int AS pages"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname IN :names"
).bindparams(bindparam("names", expanding=True))


# The checkpoint table's pages now and at the last ANALYZE, and the share of its rows that
# ANALYZE found of one step (0 when the step was not among its most common values).
_STEP_SHARE = text(
    "SELECT c.relpages AS seen,"
    " pg_relation_size(c.oid) / current_setting('block_size')::int AS pages,"
    " coalesce((SELECT s.most_common_freqs[array_position(s.most_common_vals::text::text[], :step)]"
    "  FROM pg_stats s WHERE s.schemaname = current_schema()"
    "  AND s.tablename = 'claim_checkpoint' AND s.attname = 'step'), 0) AS share"
    " FROM pg_class c"
    " WHERE c.oid = to_regclass(quote_ident(current_schema()) || '.claim_checkpoint')"
)


def stale_tables(engine: Engine, *, step: str | None = None) -> list[str]:
    """The claim database's tables that have grown past GROWTH since their last ANALYZE, and
    the checkpoint table when it may hold GROWTH times the rows of `step` that ANALYZE saw."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as connection:
        rows = connection.execute(_SIZES, {"names": sorted(Base.metadata.tables)})
        # pages is None for a table dropped since the listing (a test dropping its schema).
        stale = {
            name
            for name, seen, pages in rows
            if pages is not None and pages >= MIN_PAGES and pages > seen * GROWTH
        }
        if step is not None and _step_outgrown(connection, step):
            stale.add("claim_checkpoint")
    return sorted(stale)


def _step_outgrown(connection: Connection, step: str) -> bool:
    row = connection.execute(_STEP_SHARE, {"step": step}).one_or_none()
    if row is None or row.pages is None or row.pages < MIN_PAGES or row.seen <= 0:
        return False  # dropped, small, or never analyzed (then growth alone decides)
    return bool(row.pages - row.seen > (GROWTH - 1) * row.share * row.seen)


def refresh_statistics(engine: Engine, *, step: str | None = None) -> list[str]:
    """ANALYZE each stale table (see module docstring), naming the checkpoint step the caller
    is about to read and write, if any; returns the tables analyzed."""
    stale = stale_tables(engine, step=step)
    if not stale:
        return []
    quote = engine.dialect.identifier_preparer.quote
    # Autocommit, so the sampling holds no lock past its own statement; SKIP_LOCKED, so a
    # worker finding another already analyzing the table goes on instead of waiting.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for name in stale:
            connection.execute(text(f"ANALYZE (SKIP_LOCKED) {quote(name)}"))
    return stale
