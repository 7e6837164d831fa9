"""Money not posted is never invisible: the leak report leads with it, each payment listed
with its reason, until a payment with its trace number is posted; a file given to the
wrong command keeps its own reasons."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from rules.loader import default_rule_set
from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.inbox import load_file
from tasks.remit.post import post_file
from tasks.reports import build

CORPUS = Path(__file__).parents[2] / "corpus" / "x12"
UNBALANCED = CORPUS / "835-unbalanced-and-no-contact.835"


def test_a_payment_not_posted_leads_the_leak_report_until_it_is(sqlite_db: Engine, tmp_path):
    refused = post_file(sqlite_db, UNBALANCED)
    assert refused.not_posted() == "$60.00 in 1 payment(s) not posted"
    report = build.write(sqlite_db, default_rule_set(), tmp_path)
    (unposted,) = report.unposted
    assert (unposted.trace, unposted.amount) == ("TRACE1", 60)
    headline = report.text().splitlines()[0]
    assert headline.startswith("NOT POSTED: $60.00 in 1 payment(s) refused at intake")
    assert "amounts that balance" in headline
    page = (tmp_path / build.FILES["html"]).read_text()
    assert "Payments not posted" in page and "TRACE1" in page
    post_file(sqlite_db, CORPUS / "835-valid.835")  # the payer's corrected payment, same trace
    assert build.collect(sqlite_db, default_rule_set()).unposted == []


def test_an_835_given_to_claim_intake_keeps_its_own_reasons(sqlite_db: Engine):
    load_file(sqlite_db, UNBALANCED)
    with session_scope(sqlite_db) as session:
        (reasons,) = session.scalars(select(m.IntakeQuarantine.reasons)).all()
    said = " | ".join(f"{r['field']} {r['expected']} {r['found']}" for r in reasons)
    assert "claimguard remit load" in said and "PER segment" in said
    report = build.collect(sqlite_db, default_rule_set())
    assert [u.amount for u in report.unposted] == [60]


def test_claimguard_files_says_what_was_noted_of_a_file(sqlite_db: Engine, capsys):
    from flows import report
    from tasks.db.repository import recent_intake_files

    load_file(sqlite_db, CORPUS / "837-hl-numbered-on.837")
    with session_scope(sqlite_db) as session:
        report.print_file_ids(recent_intake_files(session, 5))
    said = capsys.readouterr().out
    assert "read as meant, but worth saying:" in said and "levels numbered from 3" in said
