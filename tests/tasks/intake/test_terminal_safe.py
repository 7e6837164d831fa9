"""What a sender put in a file reaches a person's terminal as text: escape sequences and
other control characters are shown as '?', not obeyed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from flows import report
from tasks.db.repository import quarantined
from tasks.db.session import session_scope
from tasks.inbox import load_file
from tests import builders as b

ESC_RED = "\x1b[31m"
C1_CSI = "\x9b2J"


def test_the_quarantine_listing_shows_control_characters_as_text(
    sqlite_db: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    bad = {**b.claim(1), "claim_id": f"CL-{ESC_RED}1{C1_CSI}"}
    path = tmp_path / f"day{ESC_RED}.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [*b.master(), bad]) + "\n")
    assert load_file(sqlite_db, path).quarantined == 1
    with session_scope(sqlite_db) as session:
        report.print_quarantine(quarantined(session, limit=5))
    shown = capsys.readouterr().out
    assert "claim_id" in shown and "day?[31m.jsonl" in shown
    assert not any((ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F for ch in shown)
