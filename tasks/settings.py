"""Settings read from the environment (CLAIMGUARD_*); the only place that reads it."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path(".claimguard")
# Claims per chunk, a task run per step and chunk in the flows (the plain pipeline's too):
# large enough that Prefect's cost per task run is a few per cent of a chunk's work, small
# enough that a worker holds one chunk's contexts (some 250 MB) comfortably.
CHUNK_SIZE = 10_000


class Settings(BaseSettings):
    # A variable set but empty (CLAIMGUARD_CACHE_DIR=) means the default, as in a shell.
    model_config = SettingsConfigDict(
        env_prefix="CLAIMGUARD_", extra="ignore", env_ignore_empty=True
    )

    # SQLite in the working folder by default; PostgreSQL when the URL says so.
    database_url: str = f"sqlite:///{DEFAULT_HOME / 'claimguard.db'}"
    home: Path = DEFAULT_HOME
    # A folder laid out like rules/ (payers/, tables/) to use instead of the shipped rules.
    rules_dir: Path | None = None
    # Processes that check chunks of claims at once (default: one per CPU core).
    workers: int | None = None
    # Where the ICD-10-CM table is kept once read from its library ("off": keep nothing).
    cache_dir: str | None = None
    # The served schedules (`make serve`): the practice's business day.
    timezone: str = "America/Chicago"
    daily_cron: str = "30 6 * * *"
    # Remittances arrive when payers pay; a schedule is opt-in (e.g. "0 14 * * 1-5").
    remit_cron: str | None = None
    # The Prefect server `make serve` starts, and where it keeps its database.
    prefect_host: str = "127.0.0.1"
    prefect_port: int = Field(default=4200, ge=1, le=65535)
    prefect_home: Path = Field(default=DEFAULT_HOME / "prefect", validation_alias="PREFECT_HOME")
    # `make serve` publishes <home>/reports here, and tells the flows it serves the address
    # (CLAIMGUARD_REPORT_URL) so their artifacts link the report instead of naming a path.
    report_port: int = Field(default=4201, ge=1, le=65535)
    report_url: str | None = None
    # Cap a SQLite file at this many pages: SQLite then answers "database or disk is full",
    # as on a full disk (the fault tests and `make chaos` use it).
    sqlite_max_pages: int | None = Field(default=None, ge=1)
    # A file in the inbox is read once unchanged this long (unless a .done marker says it is
    # finished): a producer still writing it is not read part-way.
    inbox_quiet_seconds: float = Field(default=10.0, ge=0, le=3600)


def get_settings() -> Settings:
    return Settings()


def cache_folder(settings: Settings) -> Path | None:
    """Where the ICD-10-CM table is cached: CLAIMGUARD_CACHE_DIR, else the user's cache
    folder ($XDG_CACHE_HOME or ~/.cache, then claimguard); None when set to off."""
    chosen = settings.cache_dir
    if chosen is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        return Path(base) / "claimguard"
    return None if chosen.lower() in ("off", "none") else Path(chosen)
