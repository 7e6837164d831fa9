"""Values the database cannot hold are refused record by record, the same on SQLite and
PostgreSQL: the rest of the file loads."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy import Engine, func, select

from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.inbox import load_file
from tests import builders as b


def _reasons(engine: Engine) -> dict[str, list[dict[str, str]]]:
    with session_scope(engine) as session:
        rows = session.execute(select(m.IntakeQuarantine.locator, m.IntakeQuarantine.reasons))
        return {locator: reasons for locator, reasons in rows}


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_each_unfit_record_is_refused_and_the_rest_loads(db: Engine, tmp_path: Path):
    big = [b.line(line_number=n, charge="9999999.99") for n in range(1, 12)]
    records: list[dict[str, object] | bytes] = [
        *b.master(),  # 11 records
        b.session(),
        b.note(1),
        b.note(2, text="Participation:\u0000 described cravings."),
        b.note(3, elements={**b.note(3)["elements"], "participation": "quiet\u0000"}),
        b.claim(1),
        b.claim(2, lines=big),  # each line fits; the claim's total does not
        b.patient(4, patient_id="PT-4", first_name="Ann\u0000"),
        b'{"type": "payer", "payer_id": "x\x00y"',  # broken JSON with a raw NUL
    ]
    path = tmp_path / "day.jsonl"
    with path.open("wb") as handle:
        for record in records:
            data = record if isinstance(record, bytes) else json.dumps(record).encode()
            handle.write(data + b"\n")
    report = load_file(db, path)
    assert report.reconciles and (report.records_in, report.loaded, report.quarantined) == (
        19,
        14,
        5,
    )
    reasons = _reasons(db)
    nul = {"expected": "text without NUL characters", "found": "a NUL character (\\u0000)"}
    assert reasons["line 14"] == [{"field": "text", **nul}]
    assert reasons["line 15"] == [{"field": "elements", **nul}]
    assert reasons["line 17"] == [
        {
            "field": "total_charge",
            "expected": "less than 100,000,000",
            "found": "a number of 9 digits",
        }
    ]
    assert reasons["line 18"] == [{"field": "first_name", **nul}]
    assert "line 19" in reasons  # the broken line is kept, its NUL written as \x00
    with session_scope(db) as session:
        raw = session.scalar(
            select(m.IntakeQuarantine.raw).where(m.IntakeQuarantine.locator == "line 19")
        )
    assert raw is not None and "\x00" not in raw and "x\\x00y" in raw
    assert (_count(db, m.Claim), _count(db, m.SessionNote), _count(db, m.Patient)) == (1, 1, 3)


def test_a_long_or_undecodable_file_name_is_stored_and_shown_safely(db: Engine, tmp_path: Path):
    """A path over the column's 1,024 characters, and a Latin-1 file name, load like any other."""
    deep = tmp_path
    while len(str(deep)) < 1100:
        deep = deep / ("d" * 200)
    deep.mkdir(parents=True)
    latin = Path(os.fsdecode(bytes(deep / "M") + b"\xfcller.jsonl"))
    b.write_jsonl(latin, b.master())
    report = load_file(db, latin)
    assert report.loaded == 11 and "\ufffd" not in report.path and "M?ller.jsonl" in report.path
    with session_scope(db) as session:
        stored = session.scalar(select(m.IntakeFile.path))
    assert stored is not None and len(stored) == 1024
