"""Files people open: CSV work queues and one self-contained HTML report with charts.

CSV cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) are
written with a leading apostrophe, so a payer's remark or a claim id like `=cmd|...` stays
text. Every value in the HTML is escaped; the charts are inline SVG drawn by matplotlib,
so the report opens offline and runs no script.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from rules import leaks
from tasks.files import private_dir, private_open

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FIRST_ROWS = 500  # rows of each queue kept for the HTML report and Prefect's artifacts
HTML_ROWS = 50


def safe_cell(value: Any) -> Any:
    """A CSV cell that stays inert in a spreadsheet."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        try:
            Decimal(value)
            return value  # a negative number is a number
        except ArithmeticError:
            return "'" + value
    return value


@dataclass
class WorkQueue:
    """A work queue written as it is read: its CSV file (when it has a path), how many rows
    it has, and its first rows for the HTML report and Prefect's artifacts. Rows are never
    all held, so a queue of a year of claims costs no more memory than a day's.

    The file is written beside its path and renamed over it only when the queue closes
    without an error: a report that fails half-way leaves the last whole queue, never a
    half-written one that a person would take for all of it."""

    columns: Sequence[str]
    path: Path | None = None
    keep: int = FIRST_ROWS
    total: int = 0
    first: list[dict[str, Any]] = field(default_factory=list)
    _handle: TextIO | None = field(default=None, init=False, repr=False, compare=False)
    _out: Any = field(default=None, init=False, repr=False, compare=False)

    def __enter__(self) -> WorkQueue:
        if self.path is not None:
            private_dir(self.path.parent)
            self._handle = private_open(self._partial, newline="")
            self._out = csv.writer(self._handle)
            self._out.writerow(self.columns)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handle is None:
            return
        self._handle.close()
        self._handle = self._out = None
        if kind is None and self.path is not None:
            self._partial.replace(self.path)
        else:
            self._partial.unlink(missing_ok=True)

    @property
    def _partial(self) -> Path:
        assert self.path is not None, "a queue without a path writes no file"
        return self.path.with_name(self.path.name + ".partial")

    def add(self, row: dict[str, Any]) -> None:
        self.total += 1
        if len(self.first) < self.keep:
            self.first.append(row)
        if self._out is not None:
            self._out.writerow([safe_cell(row.get(c, "")) for c in self.columns])

    def head(self, limit: int, columns: Sequence[str] | None = None) -> list[list[Any]]:
        """The first rows as table cells, in the queue's columns (or those given)."""
        return [[r.get(c, "") for c in columns or self.columns] for r in self.first[:limit]]

    def extend(self, rows: Iterable[dict[str, Any]]) -> WorkQueue:
        for row in rows:
            self.add(row)
        return self


def write_csv(path: Path, rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Path:
    with WorkQueue(columns, path, keep=0) as queue:
        queue.extend(rows)
    return path


def appeal_row(ln: leaks.AuditedLine, appeal_days: int = 90) -> dict[str, Any]:
    deadline = leaks.appeal_deadline(ln, appeal_days)
    return {
        "claim_id": ln.claim_id,
        "line": ln.line_number,
        "payer_id": ln.payer_id,
        "code": ln.code,
        "service_date": ln.service_date.isoformat(),
        "outcome": ln.outcome,
        "at_stake": str(ln.at_stake),
        "expected_allowed": str(ln.expected) if ln.expected is not None else "",
        "allowed": str(ln.allowed),
        "paid": str(ln.paid),
        "contract": ln.contract,
        "category": ln.category,
        "prevented_by": ln.prevented_by,
        "codes": " ".join(ln.codes),
        "appeal_by": deadline.isoformat() if deadline else "",
    }


APPEAL_COLUMNS = (
    "claim_id", "line", "payer_id", "code", "service_date", "outcome", "at_stake",
    "expected_allowed", "allowed", "paid", "contract", "category", "prevented_by", "codes",
    "appeal_by",
)  # fmt: skip
# The appeals table in the HTML shows these; the CSV has every column.
APPEAL_SHOWN = ("claim_id", "line", "payer_id", "code", "outcome", "at_stake", "codes", "appeal_by")
HELD_COLUMNS = ("claim_id", "payer_id", "service_date", "step", "rules", "finding", "fix")
UNMATCHED_COLUMNS = ("level", "payer", "trace", "clp", "control_number", "line", "paid", "reason")
UNDERPAID_COLUMNS = (
    "claim_id", "line", "payer_id", "provider_npi", "location_id", "code", "month",
    "expected_allowed", "allowed", "paid", "underpaid", "contract",
)  # fmt: skip


def underpaid_row(ln: leaks.AuditedLine) -> dict[str, Any]:
    return {
        "claim_id": ln.claim_id,
        "line": ln.line_number,
        "payer_id": ln.payer_id,
        "provider_npi": ln.provider_npi,
        "location_id": ln.location_id,
        "code": ln.code,
        "month": ln.month,
        "expected_allowed": str(ln.expected),
        "allowed": str(ln.allowed),
        "paid": str(ln.paid),
        "underpaid": str(ln.variance),
        "contract": ln.contract,
    }


# ---------------------------------------------------------------- HTML


@dataclass
class ReportData:
    title: str
    generated: dt.datetime
    ledger: leaks.Ledger
    weekly: list[tuple[dt.date, leaks.Rates]]
    appeals: WorkQueue = field(default_factory=lambda: WorkQueue(APPEAL_COLUMNS))
    held: WorkQueue = field(default_factory=lambda: WorkQueue(HELD_COLUMNS))
    unmatched: WorkQueue = field(default_factory=lambda: WorkQueue(UNMATCHED_COLUMNS))
    alarm_months: int = 3
    unposted: Sequence[Any] = ()  # tasks.reports.data.Unposted: payments refused at intake


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    limit: int | None = None,
    total: int | None = None,
) -> str:
    """At most `limit` rows; `total` counts the rows there are when `rows` is only the first of them."""
    shown = rows[: limit or HTML_ROWS]
    body = ["<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in shown]
    more = (len(rows) if total is None else total) - len(shown)
    if more > 0:
        body.append(f"<tr><td colspan='{len(headers)}'>… {more:,} more in the CSV export</td></tr>")
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    rows_html = "".join(body) or f"<tr><td colspan='{len(headers)}'>none</td></tr>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows_html}</tbody></table>"


def _figure() -> tuple[Any, Any]:
    """A new figure and its axes. matplotlib is imported here, not with the module: it costs
    some 40 MB in every process that imports the reports (chunk workers among them), and
    only the one writing the report draws. A bare Figure needs no pyplot state or display."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 3.2))
    return figure, figure.subplots()


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype inside HTML


def chart_underpaid_by_payer(ledger: leaks.Ledger) -> str:
    series = ledger.underpaid_by_payer_month()
    fig, ax = _figure()
    months = sorted({m for s in series.values() for m in s})
    for payer, by_month in sorted(series.items()):
        ax.plot(months, [float(by_month.get(m, 0)) for m in months], marker="o", label=payer)
    ax.set_title("Underpaid dollars by payer and month of service")
    ax.set_ylabel("$ underpaid")
    if series:
        ax.legend(fontsize=7, loc="upper left")
    else:
        ax.text(0.5, 0.5, "no underpaid lines", ha="center", transform=ax.transAxes)
    return _svg(fig)


def chart_denial_mix(summary: leaks.Summary) -> str:
    counts = summary.denied_by_category
    fig, ax = _figure()
    names = [k for k, _ in counts.most_common()]
    ax.barh(names, [counts[n] for n in names], color="#b5523b")
    ax.invert_yaxis()
    ax.set_title("Denied lines by root cause")
    ax.set_xlabel("lines")
    if not names:
        ax.text(0.5, 0.5, "no denials", ha="center", transform=ax.transAxes)
    return _svg(fig)


def chart_clean_rate(weekly: Sequence[tuple[dt.date, leaks.Rates]]) -> str:
    fig, ax = _figure()
    weeks = [w.isoformat() for w, r in weekly if r.clean_claim_rate is not None]
    values = [100 * (r.clean_claim_rate or 0) for _, r in weekly if r.clean_claim_rate is not None]
    ax.plot(weeks, values, marker="o", color="#2f6f4e")
    ax.set_ylim(0, 100)
    ax.set_title("Clean-claim rate by week of service (no held finding in steps 1-4)")
    ax.set_ylabel("% of claims")
    return _svg(fig)


def _pct(value: float | None) -> str:
    return f"{100 * value:.1f} %" if value is not None else "n/a"


def html_report(data: ReportData) -> str:
    total = data.ledger.summary
    rates = leaks.total(data.weekly)
    alarms = data.ledger.persistent_underpayers(months=data.alarm_months)
    sections = [
        f"<h1>{_e(data.title)}</h1>",
        f"<p class='meta'>Generated {_e(data.generated.strftime('%Y-%m-%d %H:%M UTC'))}. Claims are named by id only.</p>",
        "<div class='cards'>",
        *([_unposted_card(data.unposted)] if data.unposted else []),
        _card("Paid correctly", f"{total.lines['paid_correctly']:,} lines"),
        _card("Underpaid", f"{total.lines['underpaid']:,} lines · ${total.underpaid_total:,}"),
        _card("Denied", f"{total.lines['denied']:,} lines · ${total.denied_expected:,} at stake"),
        _card("Unmatched remittance items", f"{data.unmatched.total:,}"),
        _card("Clean-claim rate", _pct(rates.clean_claim_rate)),
        _card("First-pass payment rate", _pct(rates.first_pass_rate)),
        "</div>",
        "<h2>Persistent underpayers</h2>",
        f"<p>A payer that underpaid the same code in at least {data.alarm_months} months.</p>",
        _table(("alarm",), [[a.message()] for a in alarms]),
        "<h2>Underpayment by payer over time</h2>",
        chart_underpaid_by_payer(data.ledger),
    ]
    for dimension in leaks.DIMENSIONS:
        groups = data.ledger.underpayments_by(dimension)
        sections += [
            f"<h3>Underpaid by {dimension}</h3>",
            _table(
                (dimension, "lines", "expected", "allowed", "underpaid"),
                [(g.key, g.lines, g.expected, g.allowed, g.underpaid) for g in groups],
                limit=20,
            ),
        ]
    sections += [
        "<h2>Denials</h2>",
        chart_denial_mix(total),
        _table(
            ("category", "should have been caught in", "CARC / RARC", "lines", "at stake"),
            [
                (d.category, d.prevented_by or "(payer side)", d.code, d.lines, d.expected)
                for d in data.ledger.denials()
            ],
        ),
        "<h2>Clean claims</h2>",
        chart_clean_rate(data.weekly),
        f"<p>{rates.clean_claims:,} of {rates.claims_checked:,} checked claims had no held finding; "
        f"{rates.first_pass_paid:,} of {rates.claims_remitted:,} remitted claims were paid in full on the first remittance.</p>",
        "<h2>Appeals work queue</h2>",
        _queue_table(data.appeals, APPEAL_SHOWN),
        "<h2>Held claims work queue</h2>",
        _queue_table(data.held),
        "<h2>Unmatched remittances</h2>",
        _queue_table(data.unmatched),
        "<h2>Payments not posted</h2>",
        "<p>835 payments refused at intake: their money is in none of the figures above.</p>",
        _table(
            ("intake file", "set", "trace", "amount", "why"),
            [
                (
                    u.intake_file_id,
                    u.locator,
                    u.trace,
                    "" if u.amount is None else u.amount,
                    u.reason,
                )
                for u in data.unposted
            ],
            limit=HTML_ROWS,
        ),
    ]
    return _page(data.title, "\n".join(sections))


def _unposted_card(unposted: Sequence[Any]) -> str:
    total = sum((u.amount for u in unposted if u.amount is not None), Decimal(0))
    return _card("Not posted", f"${total:,} in {len(unposted):,} payment(s)")


def _queue_table(queue: WorkQueue, columns: Sequence[str] | None = None) -> str:
    return _table(columns or queue.columns, queue.head(HTML_ROWS, columns), total=queue.total)


def _card(label: str, value: str) -> str:
    return f"<div class='card'><div class='label'>{_e(label)}</div><div class='value'>{_e(value)}</div></div>"


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2329;padding:0 1rem}
h1{margin-bottom:.2rem}.meta{color:#5b6670;margin-top:0}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{border:1px solid #d6dce1;border-radius:8px;padding:.7rem 1rem;min-width:170px}
.card .label{font-size:.8rem;color:#5b6670}.card .value{font-size:1.15rem;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0 1.2rem}
th,td{border-bottom:1px solid #e3e7ea;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f7}svg{max-width:100%;height:auto}
"""


def _page(title: str, body: str) -> str:
    # No script and no external resource: the CSP forbids both, in case a value slipped through.
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>\n"
    )
