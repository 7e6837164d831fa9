"""The bad-input corpus (tests/corpus, made by make_corpus.py): nothing crashes, each file is
quarantined or handled with the expected reason, and counts reconcile."""

from __future__ import annotations

import csv
import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, func, select

from rules import leaks
from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.inbox import load_file
from tasks.remit.post import post_file
from tasks.reports import data, render
from tasks.x12.plain import BY_CODE
from tests.tasks.x12.test_plain_reasons import JARGON

CORPUS = Path(__file__).parents[1] / "corpus"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text())


def test_the_corpus_is_large_and_covers_every_format():
    kinds = {c["file"].rsplit(".", 1)[-1] for c in CASES}
    assert len(CASES) >= 60 and {"jsonl", "json", "837", "835"} <= kinds


def _reasons(engine: Engine) -> str:
    with session_scope(engine) as session:
        rows = session.scalars(select(m.IntakeQuarantine.reasons)).all()
    return " | ".join(
        f"{r['field']} {r['expected']} {r['found']}" for rs in rows for r in rs
    ).lower()


def _count(engine: Engine, model: Any) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["file"])
def test_corpus_case(sqlite_db: Engine, tmp_path: Path, case: dict[str, Any]):
    path = CORPUS / case["file"]
    if case["via"] == "claims":
        report = load_file(sqlite_db, path)
        assert report.reconciles
        assert report.quarantined == case["quarantined"]
        if "loaded_claims" in case:
            assert _count(sqlite_db, m.Claim) == case["loaded_claims"]
        if "claims" in case:
            assert report.claims_said() == case["claims"]
        if "credential" in case:
            with session_scope(sqlite_db) as session:
                assert session.scalars(select(m.Provider.credential)).all() == [None]
        if "note" in case:
            assert any(case["note"] in note for note in report.notes), report.notes
            with session_scope(sqlite_db) as session:
                assert session.scalars(select(m.IntakeFile.notes)).one() == report.notes
    else:
        posted = post_file(sqlite_db, path)
        assert posted.reconciles
        assert posted.quarantined == case["quarantined"]
        if "posted" in case:
            assert posted.posted == case["posted"]
        if "duplicates" in case:
            assert posted.duplicates == case["duplicates"]
        if "claims_refused" in case:
            assert posted.claims["refused"] == case["claims_refused"]
        if "warned" in case:
            assert posted.warned == case["warned"]
            with session_scope(sqlite_db) as session:
                (warnings,) = session.scalars(select(m.RemittancePayment.warnings)).all()
            assert any(case["warning"] in w for w in warnings), warnings
        assert bool(posted.unbalanced) is case.get("unbalanced", False)
    said = _reasons(sqlite_db)
    # Every pyx12 message the corpus produces is reworded (tasks/x12/plain.py).
    assert BY_CODE not in said and not any(word.lower() in said for word in JARGON)
    if case.get("reason"):
        assert case["reason"].lower() in said
    if case.get("withheld"):
        assert case["withheld"].lower() not in _reasons(sqlite_db)
    if case.get("tables_intact"):
        assert _count(sqlite_db, m.IntakeFile) == 1 and _count(sqlite_db, m.Claim) >= 0
    if "csv_safe" in case:
        with session_scope(sqlite_db) as session:
            rows = data.unmatched_queue(session)
        out = render.write_csv(tmp_path / "q.csv", rows, render.UNMATCHED_COLUMNS)
        cells = [cell for row in csv.reader(out.open()) for cell in row]
        assert "'" + case["csv_safe"] in cells and case["csv_safe"] not in cells
    if "html_safe" in case:
        with session_scope(sqlite_db) as session:
            rows = data.unmatched_queue(session)
        unmatched = render.WorkQueue(render.UNMATCHED_COLUMNS).extend(rows)
        page = render.html_report(
            render.ReportData("t", dt.datetime.now(dt.UTC), leaks.Ledger(), [], unmatched=unmatched)
        )
        assert case["html_safe"] not in page and html.escape(case["html_safe"]) in page


def test_each_row_of_the_x12_policy_table_is_a_corpus_case():
    """docs/x12.md's table of what is refused and what is posted names its cases; each runs
    above, so each row of the policy is tested."""
    doc = (Path(__file__).parents[2] / "docs" / "x12.md").read_text()
    table = doc[doc.index("| fault | 837P | 835 | corpus case |") :].split("\n\n")[0]
    rows = [row for row in table.splitlines()[2:] if row.startswith("|")]
    files = {Path(c["file"]).stem for c in CASES}
    for row in rows:
        named = re.findall(r"`(83[57]-[a-z0-9-]+)`", row.rsplit("|", 2)[-2])
        assert named and set(named) <= files, row
