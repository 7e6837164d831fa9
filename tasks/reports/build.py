"""Build the revenue-leak report files from the claim database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from rules import leaks
from rules.loader import RuleSet
from tasks.db.session import session_scope
from tasks.reports import data, render


@dataclass
class LeakReport:
    lines: list[leaks.AuditedLine]
    weekly: list[tuple[dt.date, leaks.Rates]]  # clean-claim and first-pass rates by week
    held: list[dict[str, Any]]
    unmatched: list[dict[str, Any]]
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def rates(self) -> leaks.Rates:
        return leaks.total(self.weekly)

    @property
    def summary(self) -> leaks.Summary:
        return leaks.summary(self.lines)

    def text(self) -> str:
        """The audit summary a person reads first (ids and amounts only)."""
        s = self.summary
        rates = self.rates
        denied = ", ".join(f"{k} {v}" for k, v in s.denied_by_category.most_common()) or "none"
        out = [
            f"Remitted lines audited: {sum(s.lines.values()):,}",
            f"  paid correctly: {s.lines['paid_correctly']:,}",
            f"  underpaid:      {s.lines['underpaid']:,}  (${s.underpaid_total:,.2f} below contract)",
            f"  overpaid:       {s.lines['overpaid']:,}",
            f"  denied:         {s.lines['denied']:,}  by category: {denied}",
            f"  no contract:    {s.lines['no_contract']:,}",
            f"Unmatched remittance items: {len(self.unmatched):,}",
            f"Clean-claim rate: {_pct(rates.clean_claim_rate)}; first-pass payment rate: {_pct(rates.first_pass_rate)}",
        ]
        return "\n".join(out)


def _pct(value: float | None) -> str:
    return f"{100 * value:.1f} %" if value is not None else "n/a"


def collect(engine: Engine, rule_set: RuleSet) -> LeakReport:
    with session_scope(engine) as session:
        return LeakReport(
            lines=data.audited_lines(session, rule_set),
            weekly=data.weekly_rates(session),
            held=data.held_queue(session),
            unmatched=data.unmatched_queue(session),
        )


def write(
    report: LeakReport, out: Path, *, alarm_months: int = 3, appeal_days: int = 90
) -> LeakReport:
    """Write the HTML report and the CSV work queues into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    report.files["html"] = out / "leak-report.html"
    report.files["html"].write_text(
        render.html_report(
            render.ReportData(
                "ClaimGuard revenue-leak report",
                dt.datetime.now(dt.UTC),
                report.lines,
                report.weekly,
                report.held,
                report.unmatched,
                alarm_months,
            )
        )
    )
    report.files["appeals"] = render.write_csv(
        out / "appeals-queue.csv",
        render.appeal_rows(report.lines, appeal_days),
        render.APPEAL_COLUMNS,
    )
    report.files["held"] = render.write_csv(
        out / "held-queue.csv", report.held, render.HELD_COLUMNS
    )
    report.files["underpaid"] = render.write_csv(
        out / "underpaid-lines.csv", render.underpaid_rows(report.lines), render.UNDERPAID_COLUMNS
    )
    report.files["unmatched"] = render.write_csv(
        out / "unmatched-remittances.csv", report.unmatched, render.UNMATCHED_COLUMNS
    )
    return report
