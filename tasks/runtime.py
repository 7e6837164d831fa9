"""What a run works against: the claim database, the rule set, the worker processes.

An entry point (a flow's start, a CLI command, the benchmark) reads the settings once and
builds a Runtime; every task it runs is handed that Runtime as an argument, and a worker
process gets it pickled with its task. Tasks never read the environment themselves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from rules.loader import RuleSet
from tasks.db.session import adopt_engine, pooled_engine
from tasks.rule_source import rule_set_in
from tasks.settings import Settings, cache_folder


@dataclass(frozen=True)
class Runtime:
    # Kept out of repr: a PostgreSQL URL may hold a password, and a repr ends up in logs.
    database_url: str = field(repr=False)
    rules_dir: Path | None = None
    # Processes that check chunks at once when a run does not say (None: one per core).
    workers: int | None = None
    # Where the ICD-10-CM table is cached between processes (None: not cached).
    code_cache: Path | None = None
    # Fault injection (tests, `make chaos`): the SQLite file capped at this many pages.
    sqlite_max_pages: int | None = None
    # An inbox file is read once unchanged this long (tasks.arrivals).
    inbox_quiet_seconds: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings, *, database_url: str | None = None) -> Runtime:
        """The runtime the settings describe; `database_url` overrides theirs (a CLI option)."""
        return cls(
            database_url=database_url or settings.database_url,
            rules_dir=settings.rules_dir.resolve() if settings.rules_dir else None,
            workers=settings.workers,
            code_cache=cache_folder(settings),
            sqlite_max_pages=settings.sqlite_max_pages,
            inbox_quiet_seconds=settings.inbox_quiet_seconds,
        )

    @classmethod
    def of_engine(cls, engine: Engine, *, rules_dir: Path | None = None) -> Runtime:
        """A runtime on a database the caller already opened: this process uses `engine`,
        worker processes open their own from its URL."""
        return cls(database_url=adopt_engine(engine), rules_dir=rules_dir)

    def engine(self) -> Engine:
        """The claim database, migrated to head; one connection pool per process."""
        return pooled_engine(self.database_url, sqlite_max_pages=self.sqlite_max_pages)

    def rule_set(self) -> RuleSet:
        """The shipped rules, or the rules folder's (reloaded when a file in it changes)."""
        return rule_set_in(self.rules_dir)

    def worker_count(self, requested: int | None = None) -> int:
        """Processes to use: as asked, else the settings', else one per CPU core."""
        return requested or self.workers or os.cpu_count() or 1

    def database_shown(self) -> str:
        """The database URL as a person may see it (no password)."""
        return make_url(self.database_url).render_as_string(hide_password=True)
