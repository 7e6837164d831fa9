"""Where the money leaks: the post-payment audit's lines summed the ways billing teams work them.

Pure arithmetic over audited lines and claim states (no database): underpayments by payer,
provider, location, code and month; the persistent-underpayer alarm; denials by root cause
and CARC/RARC with the lifecycle step that should have prevented them; clean-claim and
first-pass payment rates; the held-claims and appeals work queues.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

ZERO = Decimal(0)
DIMENSIONS = ("payer", "provider", "location", "code", "month")


@dataclass(frozen=True, slots=True)
class AuditedLine:
    """One remitted claim line and what step 5 concluded about it."""

    claim_id: str
    line_number: int
    payer_id: str
    provider_npi: str
    location_id: str
    service_date: dt.date
    code: str
    # paid_correctly | underpaid | overpaid | denied | no_contract | taken_back (money
    # taken back without a payment on file: a claim-level line, number 0)
    outcome: str
    expected: Decimal | None
    allowed: Decimal
    paid: Decimal
    variance: Decimal  # expected - allowed (positive: underpaid)
    contract: str = ""
    category: str = ""
    prevented_by: str = ""
    codes: tuple[str, ...] = ()
    paid_on: dt.date | None = None

    @property
    def month(self) -> str:
        return f"{self.service_date:%Y-%m}"

    def key(self, dimension: str) -> str:
        return {
            "payer": self.payer_id,
            "provider": self.provider_npi,
            "location": self.location_id,
            "code": self.code,
            "month": self.month,
        }[dimension]

    @property
    def at_stake(self) -> Decimal:
        """What an appeal could recover: the shortfall, or for a denial the contract amount."""
        if self.outcome in ("underpaid", "taken_back"):
            return self.variance
        if self.outcome == "denied":
            return self.expected or ZERO
        return ZERO


@dataclass(frozen=True, slots=True)
class ClaimState:
    """A claim's place in the lifecycle, for the rates."""

    claim_id: str
    service_date: dt.date
    checked: bool  # steps 1-4 all have a current checkpoint
    held: bool  # one of them is held
    remitted: bool
    first_pass_paid: bool  # its first remittance paid it with no denied line


@dataclass
class Group:
    key: str
    lines: int = 0
    underpaid: Decimal = ZERO
    expected: Decimal = ZERO
    allowed: Decimal = ZERO


@dataclass
class Summary:
    lines: Counter[str] = field(default_factory=Counter)
    underpaid_total: Decimal = ZERO
    overpaid_total: Decimal = ZERO
    denied_expected: Decimal = ZERO
    denied_by_category: Counter[str] = field(default_factory=Counter)
    paid_total: Decimal = ZERO
    taken_back_total: Decimal = ZERO

    def add(self, line: AuditedLine) -> None:
        self.lines[line.outcome] += 1
        self.paid_total += line.paid
        if line.outcome == "underpaid":
            self.underpaid_total += line.variance
        elif line.outcome == "overpaid":
            self.overpaid_total -= line.variance
        elif line.outcome == "denied":
            self.denied_by_category[line.category or "other"] += 1
            self.denied_expected += line.expected or ZERO
        elif line.outcome == "taken_back":
            self.taken_back_total += line.variance


def summary(lines: Iterable[AuditedLine]) -> Summary:
    out = Summary()
    for line in lines:
        out.add(line)
    return out


def underpayments_by(lines: Iterable[AuditedLine], dimension: str) -> list[Group]:
    """Underpaid lines grouped by one dimension, largest shortfall first."""
    return Ledger.of(lines).underpayments_by(dimension)


@dataclass(frozen=True)
class Alarm:
    payer_id: str
    code: str
    months: tuple[str, ...]
    lines: int
    underpaid: Decimal
    # "months": underpaid lines in many months; "cents": shortfalls each within the per-line
    # tolerance (so no line is called underpaid) that add up.
    kind: Literal["months", "cents"] = "months"

    def message(self) -> str:
        if self.kind == "cents":
            return (
                f"{self.payer_id} paid {self.code} a little under contract on {self.lines} "
                f"lines ({self.months[0]} to {self.months[-1]}), each within the per-line "
                f"tolerance: ${self.underpaid} in all"
            )
        return (
            f"{self.payer_id} underpaid {self.code} in {len(self.months)} months "
            f"({self.months[0]} to {self.months[-1]}): {self.lines} lines, ${self.underpaid}"
        )


def persistent_underpayers(lines: Iterable[AuditedLine], *, months: int = 3) -> list[Alarm]:
    """A payer that underpaid the same code in at least `months` distinct months."""
    return Ledger.of(lines).persistent_underpayers(months=months)


# Small shortfalls on one payer's code that add up to this raise the alarm.
SHAVED_ALARM = Decimal("25.00")


def _alarms(
    cells: dict[tuple[str, str, str], Tally], kind: Literal["months", "cents"]
) -> list[Alarm]:
    seen: dict[tuple[str, str], dict[str, Tally]] = defaultdict(dict)
    for (payer, code, month), tally in cells.items():
        seen[(payer, code)][month] = tally
    return [
        Alarm(
            payer,
            code,
            tuple(sorted(by_month)),
            sum(t.lines for t in by_month.values()),
            sum((t.money for t in by_month.values()), ZERO),
            kind,
        )
        for (payer, code), by_month in seen.items()
    ]


@dataclass(frozen=True)
class DenialRow:
    category: str
    prevented_by: str
    code: str  # a CARC (group-reason) or RARC
    lines: int
    expected: Decimal


def denials(lines: Iterable[AuditedLine]) -> list[DenialRow]:
    """Denied lines by root-cause category and by each CARC/RARC they carry."""
    return Ledger.of(lines).denials()


@dataclass
class Tally:
    lines: int = 0
    money: Decimal = ZERO

    def add(self, money: Decimal) -> None:
        self.lines += 1
        self.money += money


@dataclass
class Ledger:
    """Everything the leak report sums, added one audited line at a time.

    What it holds grows with the payers, providers, sites, codes, months and denial codes,
    never with the lines: a year of claims is summed without keeping a single line.
    """

    summary: Summary = field(default_factory=Summary)
    groups: dict[str, dict[str, Group]] = field(default_factory=lambda: {d: {} for d in DIMENSIONS})
    # (payer, code, month): what the alarm and the payer-by-month chart are drawn from.
    underpaid_cells: dict[tuple[str, str, str], Tally] = field(default_factory=dict)
    # (payer, code, month) of lines paid within the tolerance but short of the contract.
    shaved_cells: dict[tuple[str, str, str], Tally] = field(default_factory=dict)
    # (category, prevented_by, CARC/RARC) of denied lines.
    denied_cells: dict[tuple[str, str, str], Tally] = field(default_factory=dict)

    @classmethod
    def of(cls, lines: Iterable[AuditedLine]) -> Ledger:
        ledger = cls()
        for line in lines:
            ledger.add(line)
        return ledger

    def add(self, line: AuditedLine) -> None:
        self.summary.add(line)
        if line.outcome == "underpaid":
            for dimension, by_key in self.groups.items():
                key = line.key(dimension)
                group = by_key.get(key) or by_key.setdefault(key, Group(key))
                group.lines += 1
                group.underpaid += line.variance
                group.expected += line.expected or ZERO
                group.allowed += line.allowed
            cell = (line.payer_id, line.code, line.month)
            self.underpaid_cells.setdefault(cell, Tally()).add(line.variance)
        elif line.outcome == "paid_correctly" and line.variance > 0:
            cell = (line.payer_id, line.code, line.month)
            self.shaved_cells.setdefault(cell, Tally()).add(line.variance)
        elif line.outcome == "denied":
            for code in line.codes or ("(none)",):
                if code.startswith("PR-"):
                    continue  # patient responsibility is not the reason a line was denied
                cause = (line.category or "other", line.prevented_by, code)
                self.denied_cells.setdefault(cause, Tally()).add(line.expected or ZERO)

    def underpayments_by(self, dimension: str) -> list[Group]:
        """Underpaid lines grouped by one dimension, largest shortfall first."""
        if dimension not in DIMENSIONS:
            raise ValueError(f"dimension is one of {', '.join(DIMENSIONS)}; not {dimension!r}")
        return sorted(self.groups[dimension].values(), key=lambda g: (-g.underpaid, g.key))

    def underpaid_by_payer_month(self) -> dict[str, dict[str, Decimal]]:
        out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for (payer, _, month), tally in self.underpaid_cells.items():
            out[payer][month] += tally.money
        return out

    def persistent_underpayers(
        self, *, months: int = 3, cents_total: Decimal = SHAVED_ALARM
    ) -> list[Alarm]:
        """A payer that underpaid the same code in at least `months` distinct months, or
        whose shortfalls on it, each within the per-line tolerance, add up to `cents_total`."""
        if months < 1:
            raise ValueError("months must be at least 1")
        alarms = [
            alarm
            for alarm in _alarms(self.underpaid_cells, "months")
            if len(alarm.months) >= months
        ]
        alarms += [
            alarm for alarm in _alarms(self.shaved_cells, "cents") if alarm.underpaid >= cents_total
        ]
        return sorted(alarms, key=lambda a: (-a.underpaid, a.payer_id, a.code, a.kind))

    def denials(self) -> list[DenialRow]:
        """Denied lines by root-cause category and by each CARC/RARC they carry."""
        rows = [
            DenialRow(c, p, code, t.lines, t.money) for (c, p, code), t in self.denied_cells.items()
        ]
        return sorted(rows, key=lambda r: (-r.lines, r.category, r.code))


@dataclass(frozen=True)
class Rates:
    claims_checked: int
    clean_claims: int
    claims_remitted: int
    first_pass_paid: int

    def __add__(self, other: Rates) -> Rates:
        return Rates(
            self.claims_checked + other.claims_checked,
            self.clean_claims + other.clean_claims,
            self.claims_remitted + other.claims_remitted,
            self.first_pass_paid + other.first_pass_paid,
        )

    @property
    def clean_claim_rate(self) -> float | None:
        return self.clean_claims / self.claims_checked if self.claims_checked else None

    @property
    def first_pass_rate(self) -> float | None:
        return self.first_pass_paid / self.claims_remitted if self.claims_remitted else None


def rates(states: Iterable[ClaimState]) -> Rates:
    """Clean-claim rate (no held finding in steps 1-4) and first-pass payment rate."""
    checked = clean = remitted = first = 0
    for state in states:
        if state.checked:
            checked += 1
            clean += 0 if state.held else 1
        if state.remitted:
            remitted += 1
            first += 1 if state.first_pass_paid else 0
    return Rates(checked, clean, remitted, first)


def total(weekly: Iterable[tuple[dt.date, Rates]]) -> Rates:
    """The rates of every week together."""
    return sum((rates for _, rates in weekly), Rates(0, 0, 0, 0))


def by_week(
    states: Sequence[ClaimState], measure: Callable[[Iterable[ClaimState]], Rates]
) -> list[tuple[dt.date, Rates]]:
    """The rates per service week (weeks start on Monday)."""
    weeks: dict[dt.date, list[ClaimState]] = defaultdict(list)
    for state in states:
        weeks[state.service_date - dt.timedelta(days=state.service_date.weekday())].append(state)
    return [(week, measure(items)) for week, items in sorted(weeks.items())]


def worth_appealing(line: AuditedLine) -> bool:
    return line.outcome in ("underpaid", "denied", "taken_back") and line.at_stake > 0


def appeal_order(line: AuditedLine) -> tuple[Decimal, str, int]:
    """The appeals queue's order: most at stake first, then by claim and line."""
    return (-line.at_stake, line.claim_id, line.line_number)


def appeal_deadline(line: AuditedLine, appeal_days: int = 90) -> dt.date | None:
    return line.paid_on + dt.timedelta(days=appeal_days) if line.paid_on else None


def appeals(
    lines: Iterable[AuditedLine], *, appeal_days: int = 90
) -> list[tuple[AuditedLine, dt.date | None]]:
    """Underpaid and denied lines worth appealing, most at stake first, with the appeal deadline."""
    worth = sorted(filter(worth_appealing, lines), key=appeal_order)
    return [(ln, appeal_deadline(ln, appeal_days)) for ln in worth]
