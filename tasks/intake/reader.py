"""Split an intake file into raw records, and turn each raw record into a packet record.

JSON Lines (`.jsonl`, `.ndjson`) is read line by line, so a file of any size streams in
flat memory. A `.json` file holds one record, a list of records, or {"records": [...]}.
A file that cannot be split at all (empty, not JSON, not UTF-8) is one record, refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from rules.records import PacketRecord
from tasks.intake.reasons import Reason, from_validation_error

MAX_RECORD_BYTES = 1 << 20  # one record over 1 MiB is not a claim; keep its head, refuse it
MAX_JSON_DOCUMENT_BYTES = 256 << 20
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
PACKET_SUFFIXES = (*JSON_LINES_SUFFIXES, ".json")

_ADAPTER: TypeAdapter[PacketRecord] = TypeAdapter(PacketRecord)
KEY_FIELDS = {
    "payer": "payer_id",
    "plan": "plan_id",
    "location": "location_id",
    "provider": "npi",
    "patient": "patient_id",
    "coverage": "coverage_id",
    "authorization": "auth_number",
    "group_session": "session_id",
    "note": "note_id",
    "claim": "claim_id",
}


@dataclass(frozen=True, slots=True)
class RawRecord:
    locator: str
    data: bytes
    size: int
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class Parsed:
    """A raw record after parsing: the record, or the reasons it was refused."""

    raw: RawRecord
    record: PacketRecord | None
    reasons: tuple[Reason, ...]
    record_type: str | None
    record_key: str | None
    digest: str = ""


def iter_raw(path: Path) -> Iterator[RawRecord]:
    """Yield the raw records of a packet file in file order."""
    if path.suffix.lower() in JSON_LINES_SUFFIXES:
        yield from _iter_lines(path)
    else:
        yield from _iter_document(path)


def _iter_lines(path: Path) -> Iterator[RawRecord]:
    with path.open("rb") as handle:
        number = 0
        while True:
            line = handle.readline(MAX_RECORD_BYTES + 1)
            if not line:
                return
            number += 1
            size, truncated = len(line), False
            if len(line) > MAX_RECORD_BYTES and not line.endswith(b"\n"):
                truncated = True
                size += _skip_rest_of_line(handle)
            if line.strip() or truncated:
                yield RawRecord(f"line {number}", line.rstrip(b"\r\n"), size, truncated)


def _skip_rest_of_line(handle: Any) -> int:
    skipped = 0
    while chunk := handle.readline(1 << 20):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _iter_document(path: Path) -> Iterator[RawRecord]:
    size = path.stat().st_size
    if size > MAX_JSON_DOCUMENT_BYTES:
        with path.open("rb") as handle:
            head = handle.read(MAX_RECORD_BYTES)
        yield RawRecord("file", head, size, truncated=True)
        return
    data = path.read_bytes()
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        # RecursionError: nesting deeper than Python's parser goes is not a packet either.
        yield RawRecord("file", data[:MAX_RECORD_BYTES], size, size > MAX_RECORD_BYTES)
        return
    items = document.get("records") if isinstance(document, dict) else document
    if isinstance(items, list):
        for index, item in enumerate(items, start=1):
            encoded = json.dumps(item).encode()
            yield RawRecord(f"record {index}", encoded, len(encoded))
    else:
        yield RawRecord("record 1", data, size)


def parse(raw: RawRecord) -> Parsed:
    """Decode, parse and validate one raw record."""
    if raw.truncated:
        reason = Reason(
            field="(record)",
            expected=f"a record of at most {MAX_RECORD_BYTES:,} bytes",
            found=f"{raw.size:,} bytes",
        )
        return Parsed(raw, None, (reason,), None, None)
    if not raw.data.strip():
        reason = Reason(field="(file)", expected="at least one record", found="an empty file")
        return Parsed(raw, None, (reason,), None, None)
    try:
        text = raw.data.decode("utf-8")
    except UnicodeDecodeError as error:
        reason = Reason(
            field="(record)",
            expected="UTF-8 text",
            found=f"byte 0x{raw.data[error.start]:02x} at offset {error.start} is not UTF-8",
        )
        return Parsed(raw, None, (reason,), None, None)
    return _parse_json(raw, text)


def _parse_json(raw: RawRecord, text: str) -> Parsed:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        reason = Reason(
            field="(record)",
            expected="one JSON object",
            found=f"malformed JSON at column {error.colno}: {error.msg}",
        )
        return Parsed(raw, None, (reason,), None, None)
    if not isinstance(value, dict):
        reason = Reason(
            field="(record)", expected="a JSON object", found=f"a JSON {type(value).__name__}"
        )
        return Parsed(raw, None, (reason,), None, None)
    return parse_value(raw, value)


def parse_value(raw: RawRecord, value: dict[str, Any]) -> Parsed:
    """Validate one record already decoded to a dict (from JSON, or built from an 837P)."""
    record_type, record_key = _identity(value)
    try:
        record = _ADAPTER.validate_python(value)
    except ValidationError as error:
        return Parsed(raw, None, tuple(_reasons(error, value)), record_type, record_key)
    return Parsed(raw, record, (), record_type, record_key, canonical_digest(value))


def canonical_digest(value: dict[str, Any]) -> str:
    """SHA-256 of the record as sent, keys sorted: the same record hashes the same however written."""
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _identity(value: dict[str, Any]) -> tuple[str | None, str | None]:
    record_type = value.get("type")
    if not isinstance(record_type, str) or record_type not in KEY_FIELDS:
        return None, None
    key = value.get(KEY_FIELDS[record_type])
    if isinstance(key, str) and 0 < len(key) <= 64:
        return record_type, key
    return record_type, None


def _reasons(error: ValidationError, value: dict[str, Any]) -> list[Reason]:
    if value.get("type") not in KEY_FIELDS:
        expected = "one of " + ", ".join(sorted(KEY_FIELDS))
        found = repr(value.get("type")) if "type" in value else "no type"
        return [Reason(field="type", expected=expected, found=found)]
    return from_validation_error(error)
