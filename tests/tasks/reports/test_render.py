"""The files people open: CSV cells stay inert, the HTML runs nothing and needs nothing online."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal as D

import pytest

from rules import leaks
from tasks.reports import render


def audited(
    outcome: str, payer: str = "summit", month: int = 9, variance: str = "5"
) -> leaks.AuditedLine:
    return leaks.AuditedLine(
        "CL-1", 1, payer, "1234567893", "austin", dt.date(2026, month, 14), "90853", outcome,
        D("40"), D("35"), D("28"), D(variance), "Summit fee schedule", "authorization" if outcome == "denied" else "",
        "verification", ("CO-197",), dt.date(2026, 10, 1),
    )  # fmt: skip


class TestCsv:
    @pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+SUM(A1)", "@import", "-2+3", "\tx"])
    def test_formula_like_text_is_written_as_text(self, tmp_path, text):
        path = render.write_csv(tmp_path / "q.csv", [{"reason": text}], ["reason"])
        (row,) = list(csv.DictReader(path.open()))
        assert row["reason"] == "'" + text

    def test_a_queue_that_fails_half_way_leaves_the_last_whole_file(self, tmp_path):
        path = render.write_csv(tmp_path / "held.csv", [{"claim_id": "CL-1"}], ["claim_id"])
        with pytest.raises(RuntimeError), render.WorkQueue(["claim_id"], path) as queue:
            queue.add({"claim_id": "CL-2"})
            raise RuntimeError("the database went away")
        assert path.read_text().split() == ["claim_id", "CL-1"]
        assert [p.name for p in tmp_path.iterdir()] == ["held.csv"]

    def test_negative_numbers_stay_numbers(self):
        assert render.safe_cell("-12.50") == "-12.50"


class TestHtml:
    def data(self, lines, unmatched=()):
        appeals = [render.appeal_row(ln) for ln, _ in leaks.appeals(lines)]
        return render.ReportData(
            "Leaks",
            dt.datetime(2026, 11, 27, 12),
            leaks.Ledger.of(lines),
            [],
            appeals=render.WorkQueue(render.APPEAL_COLUMNS).extend(appeals),
            unmatched=render.WorkQueue(render.UNMATCHED_COLUMNS).extend(unmatched),
        )

    def test_text_from_a_remittance_cannot_become_markup(self):
        hostile = {"level": "claim", "payer": "<script>alert(1)</script>", "trace": "T", "clp": 1,
                   "control_number": "<img src=x onerror=alert(1)>", "line": "", "paid": "0", "reason": "r"}  # fmt: skip
        page = render.html_report(self.data([audited("underpaid")], [hostile]))
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    def test_the_page_is_self_contained_and_forbids_scripts(self):
        page = render.html_report(self.data([audited("underpaid", month=m) for m in (8, 9, 10)]))
        assert "default-src 'none'" in page
        assert "<script" not in page and "http://" not in page.split("<svg", 1)[0]
        assert page.count("<svg") == 3  # underpayment over time, denial mix, clean-claim rate

    def test_the_alarm_and_the_totals_are_in_the_page(self):
        page = render.html_report(self.data([audited("underpaid", month=m) for m in (8, 9, 10)]))
        assert "summit underpaid 90853 in 3 months" in page
        assert "3 lines · $15" in page

    def test_an_empty_database_still_makes_a_page(self):
        page = render.html_report(self.data([]))
        assert page.count("<svg") == 3 and "0 lines" in page
        assert ">none</td>" in page  # empty tables say so
