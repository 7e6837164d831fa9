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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from rules import leaks

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A CSV cell that stays inert in a spreadsheet."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        try:
            Decimal(value)
            return value  # a negative number is a number
        except ArithmeticError:
            return "'" + value
    return value


def write_csv(path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(columns)
        for row in rows:
            out.writerow([safe_cell(row.get(c, "")) for c in columns])
    return path


def appeal_rows(lines: Iterable[leaks.AuditedLine], appeal_days: int = 90) -> list[dict[str, Any]]:
    return [
        {
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
        for ln, deadline in leaks.appeals(lines, appeal_days=appeal_days)
    ]


APPEAL_COLUMNS = (
    "claim_id", "line", "payer_id", "code", "service_date", "outcome", "at_stake",
    "expected_allowed", "allowed", "paid", "contract", "category", "prevented_by", "codes",
    "appeal_by",
)  # fmt: skip
HELD_COLUMNS = ("claim_id", "payer_id", "service_date", "step", "rules", "finding", "fix")
UNMATCHED_COLUMNS = ("level", "payer", "trace", "clp", "control_number", "line", "paid", "reason")
UNDERPAID_COLUMNS = (
    "claim_id", "line", "payer_id", "provider_npi", "location_id", "code", "month",
    "expected_allowed", "allowed", "paid", "underpaid", "contract",
)  # fmt: skip


def underpaid_rows(lines: Iterable[leaks.AuditedLine]) -> list[dict[str, Any]]:
    return [
        {
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
        for ln in lines
        if ln.outcome == "underpaid"
    ]


# ---------------------------------------------------------------- HTML


@dataclass
class ReportData:
    title: str
    generated: dt.datetime
    lines: list[leaks.AuditedLine]
    weekly: list[tuple[dt.date, leaks.Rates]]
    held: list[dict[str, Any]]
    unmatched: list[dict[str, Any]]
    alarm_months: int = 3


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], limit: int = 50) -> str:
    body = []
    for count, row in enumerate(rows):
        if count >= limit:
            body.append(f"<tr><td colspan='{len(headers)}'>… more in the CSV export</td></tr>")
            break
        body.append("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>")
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


def chart_underpaid_by_payer(lines: Sequence[leaks.AuditedLine]) -> str:
    series: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in lines:
        if line.outcome == "underpaid":
            series[line.payer_id][line.month] += line.variance
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


def chart_denial_mix(lines: Sequence[leaks.AuditedLine]) -> str:
    counts = leaks.summary(lines).denied_by_category
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
    total = leaks.summary(data.lines)
    rates = leaks.total(data.weekly)
    alarms = leaks.persistent_underpayers(data.lines, months=data.alarm_months)
    sections = [
        f"<h1>{_e(data.title)}</h1>",
        f"<p class='meta'>Generated {_e(data.generated.strftime('%Y-%m-%d %H:%M UTC'))}. Claims are named by id only.</p>",
        "<div class='cards'>",
        _card("Paid correctly", f"{total.lines['paid_correctly']:,} lines"),
        _card("Underpaid", f"{total.lines['underpaid']:,} lines · ${total.underpaid_total:,}"),
        _card("Denied", f"{total.lines['denied']:,} lines · ${total.denied_expected:,} at stake"),
        _card("Clean-claim rate", _pct(rates.clean_claim_rate)),
        _card("First-pass payment rate", _pct(rates.first_pass_rate)),
        "</div>",
        "<h2>Persistent underpayers</h2>",
        f"<p>A payer that underpaid the same code in at least {data.alarm_months} months.</p>",
        _table(("alarm",), ([a.message()] for a in alarms)),
        "<h2>Underpayment by payer over time</h2>",
        chart_underpaid_by_payer(data.lines),
    ]
    for dimension in leaks.DIMENSIONS:
        groups = leaks.underpayments_by(data.lines, dimension)
        sections += [
            f"<h3>Underpaid by {dimension}</h3>",
            _table(
                (dimension, "lines", "expected", "allowed", "underpaid"),
                ((g.key, g.lines, g.expected, g.allowed, g.underpaid) for g in groups),
                limit=20,
            ),
        ]
    sections += [
        "<h2>Denials</h2>",
        chart_denial_mix(data.lines),
        _table(
            ("category", "should have been caught in", "CARC / RARC", "lines", "at stake"),
            (
                (d.category, d.prevented_by or "(payer side)", d.code, d.lines, d.expected)
                for d in leaks.denials(data.lines)
            ),
        ),
        "<h2>Clean claims</h2>",
        chart_clean_rate(data.weekly),
        f"<p>{rates.clean_claims:,} of {rates.claims_checked:,} checked claims had no held finding; "
        f"{rates.first_pass_paid:,} of {rates.claims_remitted:,} remitted claims were paid in full on the first remittance.</p>",
        "<h2>Appeals work queue</h2>",
        _table(
            ("claim", "line", "payer", "code", "outcome", "at stake", "codes", "appeal by"),
            (
                (
                    r["claim_id"],
                    r["line"],
                    r["payer_id"],
                    r["code"],
                    r["outcome"],
                    r["at_stake"],
                    r["codes"],
                    r["appeal_by"],
                )
                for r in appeal_rows(data.lines)
            ),
        ),
        "<h2>Held claims work queue</h2>",
        _table(HELD_COLUMNS, ([r[c] for c in HELD_COLUMNS] for r in data.held)),
        "<h2>Unmatched remittances</h2>",
        _table(UNMATCHED_COLUMNS, ([r[c] for c in UNMATCHED_COLUMNS] for r in data.unmatched)),
    ]
    return _page(data.title, "\n".join(sections))


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
