"""Bad input: each problem is quarantined with a reason naming the record and the field.

Every case loads a clean day plus one broken record and checks that the clean records all
load, the broken one is kept whole with the expected field named, and counts reconcile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.inbox import load_file
from tests import builders as b

CASES: list[tuple[str, Any, str, str]] = [
    # (case, broken record or raw bytes, field named, words the reason must contain)
    ("malformed json", b'{"type": "claim", "claim_id": "CL-9"', "(record)", "malformed JSON"),
    ("not an object", b"[1, 2, 3]", "(record)", "a JSON object"),
    ("unknown record type", {"type": "invoice"}, "type", "one of authorization"),
    ("wrong type", b.with_change(b.claim(9), "lines.0.units", "one"), "lines[1].units", "a number"),
    ("unknown field", {**b.claim(9), "ssn": "123-45-6789"}, "ssn", "no such field"),
    ("missing field", b.with_change(b.claim(9), "patient_id", ...), "patient_id", "required"),
    (
        "malformed CPT",
        b.with_change(b.claim(9), "lines.0.procedure_code", "9085"),
        "lines[1].procedure_code",
        "CPT or HCPCS",
    ),
    (
        "malformed HCPCS",
        b.with_change(b.claim(9), "lines.0.procedure_code", "Z1234"),
        "lines[1].procedure_code",
        "CPT or HCPCS",
    ),
    (
        "malformed modifier",
        b.with_change(b.claim(9), "lines.0.modifiers", ["9-5"]),
        "lines[1].modifiers[1]",
        "2-character modifier",
    ),
    (
        "five modifiers",
        b.with_change(b.claim(9), "lines.0.modifiers", ["95", "HQ", "59", "XE", "GT"]),
        "lines[1].modifiers",
        "at most 4",
    ),
    (
        "unknown ICD-10-CM",
        b.with_change(b.claim(9), "diagnoses", ["F99.99"]),
        "diagnoses[1]",
        "not in the ICD-10-CM code table",
    ),
    (
        "non-billable category",
        b.with_change(b.claim(9), "diagnoses", ["F33"]),
        "diagnoses[1]",
        "F33.0 to F33.9",
    ),
    (
        "category with few children",
        b.with_change(b.claim(9), "diagnoses", ["F43.1"]),
        "diagnoses[1]",
        "F43.10, F43.11, F43.12",
    ),
    (
        "ICD-10 shape",
        b.with_change(b.claim(9), "diagnoses", ["296.32"]),
        "diagnoses[1]",
        "not shaped like",
    ),
    (
        "service date before ICD-10",
        b.with_change(b.claim(9), "lines.0.service_date", "2014-01-01"),
        "lines[1].service_date",
        "from 2015-10-01",
    ),
    (
        "impossible date",
        b.with_change(b.claim(9), "claim_date", "2026-02-30"),
        "claim_date",
        "a date",
    ),
    (
        "service after claim date",
        b.with_change(b.claim(9), "claim_date", "2026-11-01"),
        "lines",
        "on or before claim_date",
    ),
    (
        "coverage ends before it starts",
        b.coverage(9, effective_to="2019-01-01"),
        "effective_to",
        "on or after effective_from",
    ),
    (
        "session ends before it starts",
        b.session(session_id="GS-9", end_time="09:00"),
        "end_time",
        "after start_time",
    ),
    (
        "auth ends before it starts",
        b.authorization(auth_number="PA-9", end_date="2026-01-01"),
        "end_date",
        "on or after start_date",
    ),
    (
        "negative charge",
        b.with_change(b.claim(9), "lines.0.charge", "-95.00"),
        "lines[1].charge",
        "≥ 0",
    ),
    (
        "non-numeric charge",
        b.with_change(b.claim(9), "lines.0.charge", "ninety"),
        "lines[1].charge",
        "a number",
    ),
    (
        "pointer past the diagnoses",
        b.with_change(b.claim(9), "lines.0.diagnosis_pointers", [2]),
        "lines",
        "diagnosis pointers from 1 to 1",
    ),
    (
        "NPI check digit",
        b.with_change(b.claim(9), "rendering_npi", "1234567890"),
        "rendering_npi",
        "check digit is 3",
    ),
    ("unknown patient", b.claim(9), "patient_id", "an id that is not loaded"),
    (
        "coverage of another patient",
        b.claim(1, claim_id="CL-9", coverage_id="COV-2"),
        "coverage_id",
        "another patient",
    ),
    (
        "patient not in session",
        b.claim(1, claim_id="CL-9", session_id="GS-2"),
        "session_id",
        "not loaded",
    ),
    (
        "note for someone not on the roster",
        b.note(4, patient_id="PT-1", session_id="GS-1", note_id="NT-9", signed_on="2026-11-01"),
        "signed_on",
        "on or after the session date",
    ),
    (
        "carve-out without administrator",
        b.coverage(9, bh_benefit="carved_out"),
        "carveout_payer_id",
        "carve-out administrator",
    ),
    (
        "telehealth without patient location",
        b.session(session_id="GS-9", modality="video"),
        "patient_location",
        "where the patient was",
    ),
    (
        "participant twice",
        b.session(session_id="GS-9", roster=["PT-1", "PT-1"]),
        "roster",
        "each participant once",
    ),
]


def load_with(db: Engine, tmp_path: Path, broken: Any) -> tuple[Any, list[m.IntakeQuarantine]]:
    path = b.write_jsonl(tmp_path / "day.jsonl", [*b.day(), broken])
    report = load_file(db, path)
    with session_scope(db) as session:
        rows = list(session.scalars(select(m.IntakeQuarantine)))
    return report, rows


@pytest.mark.parametrize(("case", "broken", "field", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_record_is_quarantined_with_its_reason(
    sqlite_db: Engine, tmp_path: Path, case: str, broken: Any, field: str, words: str
):
    """The broken record is quarantined with a reason naming its field; the rest loads."""
    report, rows = load_with(sqlite_db, tmp_path, broken)
    assert (report.records_in, report.loaded, report.quarantined) == (19, 18, 1)
    (row,) = rows
    reasons = {r["field"]: f"expected {r['expected']}; found {r['found']}" for r in row.reasons}
    assert field in reasons, reasons
    assert words in reasons[field]
    assert row.locator == "line 19"
    assert row.raw_size_bytes > 0 and row.raw


class TestPrivacyOfReasons:
    def test_unknown_field_value_is_never_echoed(self, sqlite_db: Engine, tmp_path: Path):
        """A value under an unknown field may be anything: the reason never repeats it."""
        _, (row,) = load_with(sqlite_db, tmp_path, {**b.claim(9), "ssn": "123-45-6789"})
        assert "123-45-6789" not in str(row.reasons)
        assert "123-45-6789" in row.raw  # the raw record is kept, in the claim database only

    def test_bad_birth_date_is_described_not_shown(self, sqlite_db: Engine, tmp_path: Path):
        """A refused patient field is described by its shape, without its value."""
        _, (row,) = load_with(sqlite_db, tmp_path, b.patient(9, birth_date="1899-12-31"))
        assert "1899-12-31" not in str(row.reasons)
        assert "withheld" in row.reasons[0]["found"]


class TestFileLevelProblems:
    def test_empty_file_is_one_quarantined_record(self, sqlite_db: Engine, tmp_path: Path):
        """An empty .json file is refused as one record, so it is not silently skipped."""
        path = tmp_path / "empty.json"
        path.write_bytes(b"")
        report = load_file(sqlite_db, path)
        assert (report.records_in, report.quarantined) == (1, 1)
        assert report.problems[0][1][0].found == "an empty file"

    def test_empty_jsonl_file_has_no_records(self, sqlite_db: Engine, tmp_path: Path):
        """An empty JSON Lines file has nothing in it and nothing to reconcile."""
        report = load_file(sqlite_db, b.write_jsonl(tmp_path / "empty.jsonl", []))
        assert (report.records_in, report.loaded, report.quarantined) == (0, 0, 0)

    def test_non_utf8_line_is_quarantined_and_the_rest_loads(
        self, sqlite_db: Engine, tmp_path: Path
    ):
        """A line with bytes that are not UTF-8 is refused; its neighbours load."""
        broken = b'{"type": "payer", "payer_id": "x\xff", "name": "X", "kind": "commercial"}'
        report, (row,) = load_with(sqlite_db, tmp_path, broken)
        assert report.loaded == 18
        assert "0xff at offset" in row.reasons[0]["found"]
        assert "\\xff" in row.raw

    def test_same_claim_id_with_other_content_is_refused(self, sqlite_db: Engine, tmp_path: Path):
        """A claim id already loaded with other content is quarantined, not overwritten."""
        load_file(sqlite_db, b.write_jsonl(tmp_path / "a.jsonl", b.day()))
        changed = b.with_change(b.claim(1), "lines.0.charge", "120.00")
        report = load_file(sqlite_db, b.write_jsonl(tmp_path / "b.jsonl", [changed]))
        assert report.quarantined == 1
        reason = report.problems[0][1][0]
        assert (reason.field, reason.found) == (
            "claim_id",
            "'CL-1' already loaded with different content",
        )
        assert "replacement claim (frequency code 7)" in reason.expected
        with session_scope(sqlite_db) as session:
            assert str(session.get_one(m.ClaimLine, ("CL-1", 1)).charge) == "95.00"

    def test_note_signed_after_the_claim_is_refused(self, sqlite_db: Engine, tmp_path: Path):
        """A claim whose patient's note was signed after the claim was made is quarantined."""
        late_note = b.note(1, signed_on="2026-11-05")
        records = [*b.master(), b.session(), late_note, b.claim(1)]
        report = load_file(sqlite_db, b.write_jsonl(tmp_path / "a.jsonl", records))
        assert report.quarantined == 1
        reason = report.problems[0][1][0]
        assert reason.field == "signed_on" and "after the claim" in reason.found

    def test_note_arriving_after_its_claim_is_checked_too(self, sqlite_db: Engine, tmp_path: Path):
        """A late-signed note loaded after its claim is refused, naming the claim."""
        load_file(
            sqlite_db, b.write_jsonl(tmp_path / "a.jsonl", [*b.master(), b.session(), b.claim(1)])
        )
        report = load_file(
            sqlite_db, b.write_jsonl(tmp_path / "b.jsonl", [b.note(1, signed_on="2026-11-05")])
        )
        assert report.quarantined == 1
        assert "CL-1" in report.problems[0][1][0].expected

    def test_fifty_megabyte_record_is_refused_and_the_file_goes_on(
        self, sqlite_db: Engine, tmp_path: Path
    ):
        """A 50 MB line is quarantined by size with its head kept; the records after it load."""
        path = tmp_path / "big.jsonl"
        with path.open("wb") as handle:
            handle.write(b'{"type": "payer", "name": "' + b"x" * (50 << 20) + b'"}\n')
            for record in b.day():
                handle.write(json_line(record))
        report = load_file(sqlite_db, path)
        assert (report.records_in, report.loaded, report.quarantined) == (19, 18, 1)
        (row,) = quarantine_rows(sqlite_db)
        assert row.raw_truncated and row.raw_size_bytes > 50 << 20
        assert "at most 1,048,576 bytes" in row.reasons[0]["expected"]


def json_line(record: dict[str, Any]) -> bytes:
    import json

    return json.dumps(record).encode() + b"\n"


def quarantine_rows(engine: Engine) -> list[m.IntakeQuarantine]:
    with session_scope(engine) as session:
        return list(session.scalars(select(m.IntakeQuarantine)))


def test_shifted_fields_show_no_patient_data(sqlite_db: Engine, tmp_path: Path):
    """A record whose columns slipped puts a last name in `sex`, a member id in a code and
    in a reference, a name in a place of service: each refusal describes, never shows, it."""
    planted = ["Haverford", "M123456789", "Okafor"]
    records = [
        *b.master(),
        b.patient(4, patient_id="PT-4", sex="Haverford"),
        b.coverage(4, patient_id="PT-1", coverage_id="COV-4", plan_id="M123456789"),
        b.with_change(b.claim(1), "lines.0.procedure_code", "M123456789"),
        b.with_change(b.claim(2), "place_of_service", "Okafor"),
        b.with_change(b.claim(3), "lines.0.procedure_code", "9085X"),  # a typo: shown
    ]
    report = load_file(sqlite_db, b.write_jsonl(tmp_path / "shifted.jsonl", records))
    assert report.quarantined == 5
    with session_scope(sqlite_db) as session:
        found = [
            r["found"] for row in session.scalars(select(m.IntakeQuarantine)) for r in row.reasons
        ]
    assert [word for word in planted if any(word in f for f in found)] == [], found
    assert "'9085X'" in found
