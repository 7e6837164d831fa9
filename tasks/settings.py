"""Settings read from the environment (CLAIMGUARD_*); the only place that reads it."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path(".claimguard")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMGUARD_", extra="ignore")

    # SQLite in the working folder by default; PostgreSQL when the URL says so.
    database_url: str = f"sqlite:///{DEFAULT_HOME / 'claimguard.db'}"
    home: Path = DEFAULT_HOME
    # A folder laid out like rules/ (payers/, tables/) to use instead of the shipped rules.
    rules_dir: Path | None = None


def get_settings() -> Settings:
    return Settings()
