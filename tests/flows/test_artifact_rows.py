"""The underpaid-and-denied table artifact leads with what a person acts on, money as money."""

from __future__ import annotations

from decimal import Decimal

from flows.remittance_audit import problem_rows


def test_the_table_leads_with_claim_payer_amount_and_deadline():
    row = {
        "claim_id": "CL-1", "line": 1, "payer_id": "medicare", "code": "90853",
        "service_date": "2026-11-02", "outcome": "underpaid", "at_stake": Decimal("1234.5"),
        "expected_allowed": "80.10", "allowed": Decimal("70"), "paid": "", "contract": "x",
        "category": "", "prevented_by": "", "codes": "CO-45", "appeal_by": "2027-02-01",
    }  # fmt: skip
    (shown,) = problem_rows([row])
    assert list(shown)[:4] == ["claim_id", "payer_id", "at_stake", "appeal_by"]
    assert (shown["at_stake"], shown["expected_allowed"], shown["allowed"], shown["paid"]) == (
        "$1,234.50",
        "$80.10",
        "$70.00",
        "",
    )


def test_the_summary_says_what_this_run_posted_apart_from_what_is_on_file():
    from flows.remittance_audit import this_run
    from tasks.inbox import FileOutcome
    from tasks.inbox_tasks import FileRow

    counts = {"sets": 2, "posted": 1, "duplicates": 0, "quarantined": 1, "claims matched": 3,
              "claims unmatched": 1, "claims not posted": 2, "unbalanced": 0}  # fmt: skip
    rows = [FileRow(file="intake file 7", outcome=FileOutcome.PROCESSED, counts=counts)] * 2
    assert this_run(rows) == (
        "This run: 2 file(s); 2 payment(s) posted, 0 sent again, 2 not posted; "
        "6 claim(s) matched, 2 unmatched."
    )
    assert this_run([]) == "This run: no new 835 files."
