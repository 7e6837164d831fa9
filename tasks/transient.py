"""What is worth retrying: transient infrastructure, never bad data.

Database locks and dropped connections, and a source file that vanished or could not be
read, may succeed on a second try. A validation error, a broken rule file or a unique-key
conflict will fail the same way every time, so retrying them only delays the report.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc


class SourceReadError(OSError):
    """An intake file could not be read (gone, unreadable); worth a retry."""


_TRANSIENT_WORDS = (
    "database is locked",
    "database table is locked",
    "could not connect",
    "connection refused",
    "connection reset",
    "server closed the connection",
    "terminating connection",
    "connection timed out",
    "disk i/o error",
    "deadlock detected",
    "could not serialize access",
)


class TransientSourceError(OSError):
    """A source (file, lookup) failed in a way that may pass; raised by tests and adapters."""


def is_transient(error: BaseException) -> bool:
    """True when `error` is an infrastructure hiccup that a retry may get past."""
    judged = getattr(error, "transient", None)  # a task's failure, judged when it was raised
    if isinstance(judged, bool):
        return judged
    if isinstance(error, SourceReadError | TransientSourceError | TimeoutError | ConnectionError):
        return True
    if isinstance(error, sa_exc.DisconnectionError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if isinstance(error, sa_exc.OperationalError):
            text = str(error.orig).lower()
            return any(word in text for word in _TRANSIENT_WORDS)
    return False
