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
    problem: Reason | None = None  # refused as read, before it is parsed


@dataclass(frozen=True, slots=True)
class Parsed:
    """A raw record after parsing: the record, or the reasons it was refused."""

    raw: RawRecord
    record: PacketRecord | None
    reasons: tuple[Reason, ...]
    record_type: str | None
    record_key: str | None
    digest: str = ""
    claims: int = 0  # for a refused X12 set: the claims it held, refused with it


UTF8_BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 1 << 16


def iter_raw(path: Path) -> Iterator[RawRecord]:
    """Yield the raw records of a packet file in file order; a file in an encoding or with
    line ends it cannot be read in is one record, refused with what to do."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    problem = _shape_problem(head, lines=path.suffix.lower() in JSON_LINES_SUFFIXES)
    if problem is not None:
        yield RawRecord("file", head[:1024], path.stat().st_size, problem=problem)
    elif path.suffix.lower() in JSON_LINES_SUFFIXES:
        yield from _iter_lines(path)
    else:
        yield from _iter_document(path)


def _shape_problem(head: bytes, *, lines: bool) -> Reason | None:
    """Why the file cannot be read as UTF-8 JSON (lines), judged from its first bytes."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:64].count(b"\x00") > 16:
        return Reason(
            field="(file)",
            expected="UTF-8 text",
            found="UTF-16 text (zero bytes between the characters); save the file as UTF-8",
        )
    if lines and b"\n" not in head and head.count(b"\r") > 1:
        return Reason(
            field="(file)",
            expected="one record per line, lines ending in LF or CR LF",
            found="lines ending in CR alone (an old Mac format); save it with LF line ends",
        )
    return None


def _iter_lines(path: Path) -> Iterator[RawRecord]:
    with path.open("rb") as handle:
        number = 0
        while True:
            line = handle.readline(MAX_RECORD_BYTES + 1)
            if not line:
                return
            number += 1
            if number == 1 and line.startswith(UTF8_BOM):
                line = line[len(UTF8_BOM) :]  # Windows tools mark UTF-8 so; it is not data
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
    data = path.read_bytes().removeprefix(UTF8_BOM)
    try:
        document = json.loads(data, object_pairs_hook=_Twice.of, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        # RecursionError: nesting deeper than Python's parser goes is not a packet either.
        yield RawRecord("file", data[:MAX_RECORD_BYTES], size, size > MAX_RECORD_BYTES)
        return
    except ValueError as error:  # a number of thousands of digits, NaN
        problem = Reason(field="(file)", expected="a JSON document", found=_plain(error))
        yield RawRecord("file", data[:1024], size, problem=problem)
        return
    items = document.get("records") if isinstance(document, dict) else document
    if not isinstance(items, list):
        items = [document]
    for index, item in enumerate(items, start=1):
        yield _item(f"record {index}", item)


def _item(locator: str, item: Any) -> RawRecord:
    """One record of a JSON document, as if it had been a line of its own."""
    encoded = json.dumps(item).encode()
    if len(encoded) > MAX_RECORD_BYTES:
        return RawRecord(locator, encoded[:MAX_RECORD_BYTES], len(encoded), truncated=True)
    twice = _Twice.first_in(item)
    if twice is None:
        return RawRecord(locator, encoded, len(encoded))
    found = f"{repr(twice)[:40]} given twice"
    problem = Reason(field="(record)", expected="each field once", found=found)
    return RawRecord(locator, encoded, len(encoded), problem=problem)


class _Twice(dict[str, Any]):
    """An object of a JSON document that gave a key twice (which one, in `twice`)."""

    twice = ""

    @classmethod
    def of(cls, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        try:
            return _object(pairs)
        except _DuplicateKey as error:
            marked = cls(pairs)
            marked.twice = str(error)
            return marked

    @staticmethod
    def first_in(value: Any) -> str | None:
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, _Twice):
                return item.twice
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        return None


def parse(raw: RawRecord) -> Parsed:
    """Decode, parse and validate one raw record."""
    if raw.problem is not None:
        return Parsed(raw, None, (raw.problem,), None, None)
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


class _DuplicateKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Python keeps the last of two equal keys without a word; a record that says its charge
    # twice is ambiguous, not a record.
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def loads(text: str | bytes) -> Any:
    """JSON as a packet takes it: no key twice in an object, no NaN or Infinity."""
    return json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)


def _parse_json(raw: RawRecord, text: str) -> Parsed:
    try:
        value = loads(text)
    except _DuplicateKey as twice:
        found = f"{repr(str(twice))[:40]} given twice"
        reason = Reason(field="(record)", expected="each field once", found=found)
        return Parsed(raw, None, (reason,), None, None)
    except json.JSONDecodeError as error:
        reason = Reason(
            field="(record)",
            expected="one JSON object",
            found=f"malformed JSON at column {error.colno}: {error.msg}",
        )
        return Parsed(raw, None, (reason,), None, None)
    except (ValueError, RecursionError) as error:
        # A number of thousands of digits, NaN, or nesting deeper than any record.
        found = "nesting too deep" if isinstance(error, RecursionError) else _plain(error)
        reason = Reason(field="(record)", expected="one JSON object", found=found)
        return Parsed(raw, None, (reason,), None, None)
    if not isinstance(value, dict):
        reason = Reason(
            field="(record)", expected="a JSON object", found=f"a JSON {type(value).__name__}"
        )
        return Parsed(raw, None, (reason,), None, None)
    return parse_value(raw, value)


def _plain(error: ValueError) -> str:
    text = str(error)
    if "digits" in text and "int" in text:
        return "a number with thousands of digits"
    return f"malformed JSON: {text[:80]}"


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
