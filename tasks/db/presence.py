"""Whether a claim database is there, found without making one: a mistyped URL must not
become a new, empty database that every report then reads as zeros."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.util import asbool


def absent(url: str) -> str | None:
    """Why there is no ClaimGuard database at `url`; None when there is one (or when only
    connecting can tell, as on a server: the command then says what connecting found)."""
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() != "sqlite":
        return _absent_on_server(url, shown)
    database = parsed.database
    if not database or database == ":memory:" or asbool(parsed.query.get("uri", False)):
        return None
    if not Path(database).is_file():
        return f"no ClaimGuard database at {shown}"
    return None


def _absent_on_server(url: str, shown: str) -> str | None:
    engine = create_engine(url, hide_parameters=True)
    try:
        with engine.connect() as connection:
            made = inspect(connection).has_table("alembic_version")
    finally:
        engine.dispose()
    return None if made else f"no ClaimGuard database at {shown} (it has no ClaimGuard tables)"
