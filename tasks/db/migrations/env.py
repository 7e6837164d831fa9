"""Alembic environment: migrations run on the engine handed over in the config."""

from __future__ import annotations

from alembic import context

from tasks.db import models  # noqa: F401 - registers the tables on Base.metadata
from tasks.db.base import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
