"""The one writer of the quarantine: a refused record kept with every reason, once per file
and place in it, cut to what its columns hold (lengths read from the table itself)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.db import models as m
from tasks.db.base import fit
from tasks.intake.reasons import Reason
from tasks.text import storable

RAW_KEEP_BYTES = 1 << 20  # a record's head is kept; a longer one is marked truncated


def quarantine(
    session: Session,
    *,
    file_id: int,
    source_path: str,
    source_sha256: str,
    locator: str,
    record_type: str | None,
    record_key: str | None,
    raw: bytes,
    raw_size: int,
    reasons: Sequence[Reason],
    truncated: bool = False,
) -> bool:
    """Keep a refused record; False when this file's record at `locator` is kept already
    (the same file loaded again)."""
    row = fit(
        m.IntakeQuarantine.__table__,
        {
            "intake_file_id": file_id,
            "source_path": source_path,
            "source_sha256": source_sha256,
            "locator": locator,
            "record_type": storable(record_type) if record_type else None,
            "record_key": storable(record_key) if record_key else None,
            "raw": storable(raw[:RAW_KEEP_BYTES].decode("utf-8", errors="backslashreplace")),
            "raw_size_bytes": raw_size,
            "raw_truncated": truncated or len(raw) > RAW_KEEP_BYTES,
            "reasons": [
                {key: storable(value) for key, value in reason.model_dump().items()}
                for reason in reasons
            ],
        },
    )
    kept = select(m.IntakeQuarantine.id).where(
        m.IntakeQuarantine.source_sha256 == source_sha256,
        m.IntakeQuarantine.locator == row["locator"],
    )
    if session.execute(kept).first() is not None:
        return False
    session.add(m.IntakeQuarantine(**row))
    session.flush()
    return True
