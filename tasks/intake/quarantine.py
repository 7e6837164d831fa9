"""The one writer of the quarantine: refused records kept with every reason, once per file
and place in it, cut to what its columns hold (lengths read from the table itself).

A batch's refusals are written together (one look-up of what is kept already, one insert):
a file of refused records loads at the speed of a file of good ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tasks.db import models as m
from tasks.db.base import fit
from tasks.intake.reasons import Reason
from tasks.text import storable

RAW_KEEP_BYTES = 1 << 20  # a record's head is kept; a longer one is marked truncated
_IN_LIST = 500
_TABLE = m.IntakeQuarantine.__table__


@dataclass(frozen=True, slots=True)
class Refused:
    """A refused record, as the quarantine keeps it."""

    locator: str
    record_type: str | None
    record_key: str | None
    raw: bytes
    raw_size: int
    reasons: Sequence[Reason]
    truncated: bool = False


def quarantine(
    session: Session,
    *,
    file_id: int,
    source_path: str,
    source_sha256: str,
    refused: Sequence[Refused],
) -> int:
    """Keep refused records of one file; returns how many were new (a record of this file
    at the same place is kept once, however often the file is loaded)."""
    rows: dict[str, dict[str, Any]] = {}
    for item in refused:
        row = _row(item, file_id=file_id, source_path=source_path, source_sha256=source_sha256)
        rows.setdefault(row["locator"], row)
    locators = list(rows)
    for start in range(0, len(locators), _IN_LIST):
        kept = select(m.IntakeQuarantine.locator).where(
            m.IntakeQuarantine.source_sha256 == source_sha256,
            m.IntakeQuarantine.locator.in_(locators[start : start + _IN_LIST]),
        )
        for locator in session.scalars(kept):
            rows.pop(locator, None)
    if rows:
        session.execute(insert(m.IntakeQuarantine), list(rows.values()))
    return len(rows)


def _row(item: Refused, *, file_id: int, source_path: str, source_sha256: str) -> dict[str, Any]:
    return fit(
        _TABLE,
        {
            "intake_file_id": file_id,
            "source_path": source_path,
            "source_sha256": source_sha256,
            "locator": item.locator,
            "record_type": storable(item.record_type) if item.record_type else None,
            "record_key": storable(item.record_key) if item.record_key else None,
            "raw": storable(item.raw[:RAW_KEEP_BYTES].decode("utf-8", errors="backslashreplace")),
            "raw_size_bytes": item.raw_size,
            "raw_truncated": item.truncated or len(item.raw) > RAW_KEEP_BYTES,
            "reasons": [
                {key: storable(value) for key, value in reason.model_dump().items()}
                for reason in item.reasons
            ],
        },
    )
