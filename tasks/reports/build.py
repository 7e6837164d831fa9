"""Build the revenue-leak report from the claim database in one streaming pass.

The audited lines are summed into a ledger as they are read, and the work queues are
written to their CSV files row by row (the appeals queue through a spool, since it is
ordered by what is at stake): what the report holds grows with payers, codes and months,
not with claims, so a year of claims is reported in the memory of a day's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from rules import leaks
from rules.loader import RuleSet
from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.files import private_dir, private_open
from tasks.reports import data, render
from tasks.reports.spool import SortedSpool

# The files of a report folder, by the name the callers (and Prefect's artifacts) use.
FILES = {
    "html": "leak-report.html",
    "appeals": "appeals-queue.csv",
    "held": "held-queue.csv",
    "underpaid": "underpaid-lines.csv",
    "unmatched": "unmatched-remittances.csv",
}


@dataclass
class LeakReport:
    ledger: leaks.Ledger
    weekly: list[tuple[dt.date, leaks.Rates]]  # clean-claim and first-pass rates by week
    appeals: render.WorkQueue
    held: render.WorkQueue
    unmatched: render.WorkQueue
    underpaid: render.WorkQueue
    unposted: list[data.Unposted] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def rates(self) -> leaks.Rates:
        return leaks.total(self.weekly)

    @property
    def summary(self) -> leaks.Summary:
        return self.ledger.summary

    def text(self) -> str:
        """The audit summary a person reads first (ids and amounts only)."""
        s = self.summary
        rates = self.rates
        denied = ", ".join(f"{k} {v}" for k, v in s.denied_by_category.most_common()) or "none"
        taken_back = s.lines["taken_back"]
        out = [
            *([not_posted(self.unposted)] if self.unposted else []),
            f"Remitted lines audited: {sum(s.lines.values()) - taken_back:,}",
            f"  paid correctly: {s.lines['paid_correctly']:,}",
            f"  underpaid:      {s.lines['underpaid']:,}  (${s.underpaid_total:,.2f} below contract)",
            f"  overpaid:       {s.lines['overpaid']:,}",
            f"  denied:         {s.lines['denied']:,}  by category: {denied}",
            f"  no contract:    {s.lines['no_contract']:,}",
            *(
                [
                    f"Take-backs of payments not on file: {taken_back:,}  (${s.taken_back_total:,.2f})"
                ]
                if taken_back
                else []
            ),
            f"Unmatched remittance items: {self.unmatched.total:,}",
            f"Clean-claim rate: {_pct(rates.clean_claim_rate)}; first-pass payment rate: {_pct(rates.first_pass_rate)}",
        ]
        return "\n".join(out)


def not_posted(unposted: list[data.Unposted]) -> str:
    """'$N in K payments not posted', with the first reason: money the audit cannot see."""
    total = sum((u.amount for u in unposted if u.amount is not None), Decimal(0))
    unknown = sum(1 for u in unposted if u.amount is None)
    amounts = f"${total:,.2f}" + (f" and {unknown} amount(s) unreadable" if unknown else "")
    first = unposted[0]
    return (
        f"NOT POSTED: {amounts} in {len(unposted):,} payment(s) refused at intake "
        f"(claimguard quarantine); the first, intake file {first.intake_file_id} "
        f"{first.locator}: {first.reason}"
    )


def _pct(value: float | None) -> str:
    return f"{100 * value:.1f} %" if value is not None else "n/a"


def collect(engine: Engine, rule_set: RuleSet, *, appeal_days: int = 90) -> LeakReport:
    """The report's sums and the first rows of each work queue; no file is written."""
    return _build(engine, rule_set, {}, appeal_days)


def write(
    engine: Engine,
    rule_set: RuleSet,
    out: Path | Mapping[str, Path],
    *,
    alarm_months: int = 3,
    appeal_days: int = 90,
) -> LeakReport:
    """Write the HTML report and the CSV work queues: every file into a folder, or only
    the files named (`{"appeals": path}` writes the appeals queue alone)."""
    paths = {name: out / file for name, file in FILES.items()} if isinstance(out, Path) else out
    unknown = set(paths) - set(FILES)
    if unknown:
        raise ValueError(f"unknown report file(s): {', '.join(sorted(unknown))}")
    report = _build(engine, rule_set, paths, appeal_days)
    if "html" in paths:
        private_dir(paths["html"].parent)
        page = render.html_report(
            render.ReportData(
                "ClaimGuard revenue-leak report",
                dt.datetime.now(dt.UTC),
                report.ledger,
                report.weekly,
                report.appeals,
                report.held,
                report.unmatched,
                alarm_months,
                report.unposted,
            )
        )
        with private_open(paths["html"]) as handle:
            handle.write(page)
    report.files = dict(paths)
    return report


def stale(engine: Engine, out: Path) -> str | None:
    """Why the report in `out` should be written again (missing, or older than the newest
    checkpoint or payment on file); None when it is current."""
    page = out / FILES["html"]
    if not page.exists():
        return "there is no report yet"
    written = dt.datetime.fromtimestamp(page.stat().st_mtime, dt.UTC)
    with session_scope(engine) as session:
        # The newest rows by id: one index look-up each, however many rows there are.
        newest = [
            session.scalar(
                select(m.ClaimCheckpoint.finished_at).order_by(m.ClaimCheckpoint.id.desc()).limit(1)
            ),
            session.scalar(
                select(m.RemittancePayment.posted_at)
                .order_by(m.RemittancePayment.id.desc())
                .limit(1)
            ),
        ]
    if any(when is not None and when > written for when in newest):
        return "results on file are newer than the report"
    return None


def _build(
    engine: Engine, rule_set: RuleSet, paths: Mapping[str, Path], appeal_days: int
) -> LeakReport:
    ledger = leaks.Ledger()
    with ExitStack() as stack:

        def queue(name: str, columns: tuple[str, ...]) -> render.WorkQueue:
            return stack.enter_context(render.WorkQueue(columns, paths.get(name)))

        appeals = queue("appeals", render.APPEAL_COLUMNS)
        held = queue("held", render.HELD_COLUMNS)
        unmatched = queue("unmatched", render.UNMATCHED_COLUMNS)
        underpaid = queue("underpaid", render.UNDERPAID_COLUMNS)
        spool = stack.enter_context(closing(SortedSpool[dict[str, Any]]()))
        with session_scope(engine) as session:
            for line in data.audited_lines(session, rule_set):
                ledger.add(line)
                if line.outcome == "underpaid":
                    underpaid.add(render.underpaid_row(line))
                if leaks.worth_appealing(line):
                    spool.add(leaks.appeal_order(line), render.appeal_row(line, appeal_days))
            weekly = data.weekly_rates(session)
            held.extend(data.held_queue(session))
            unmatched.extend(data.unmatched_queue(session))
            unposted = data.unposted_payments(session)
        appeals.extend(spool)
    return LeakReport(ledger, weekly, appeals, held, unmatched, underpaid, unposted)
