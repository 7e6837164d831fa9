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
    outcome: str  # paid_correctly | underpaid | overpaid | denied | no_contract
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
        if self.outcome == "underpaid":
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


def summary(lines: Iterable[AuditedLine]) -> Summary:
    out = Summary()
    for line in lines:
        out.lines[line.outcome] += 1
        out.paid_total += line.paid
        if line.outcome == "underpaid":
            out.underpaid_total += line.variance
        elif line.outcome == "overpaid":
            out.overpaid_total -= line.variance
        elif line.outcome == "denied":
            out.denied_by_category[line.category or "other"] += 1
            out.denied_expected += line.expected or ZERO
    return out


def underpayments_by(lines: Iterable[AuditedLine], dimension: str) -> list[Group]:
    """Underpaid lines grouped by one dimension, largest shortfall first."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension is one of {', '.join(DIMENSIONS)}; not {dimension!r}")
    groups: dict[str, Group] = {}
    for line in lines:
        if line.outcome != "underpaid":
            continue
        group = groups.setdefault(line.key(dimension), Group(line.key(dimension)))
        group.lines += 1
        group.underpaid += line.variance
        group.expected += line.expected or ZERO
        group.allowed += line.allowed
    return sorted(groups.values(), key=lambda g: (-g.underpaid, g.key))


@dataclass(frozen=True)
class Alarm:
    payer_id: str
    code: str
    months: tuple[str, ...]
    lines: int
    underpaid: Decimal

    def message(self) -> str:
        return (
            f"{self.payer_id} underpaid {self.code} in {len(self.months)} months "
            f"({self.months[0]} to {self.months[-1]}): {self.lines} lines, ${self.underpaid}"
        )


def persistent_underpayers(lines: Iterable[AuditedLine], *, months: int = 3) -> list[Alarm]:
    """A payer that underpaid the same code in at least `months` distinct months."""
    if months < 1:
        raise ValueError("months must be at least 1")
    seen: dict[tuple[str, str], list[AuditedLine]] = defaultdict(list)
    for line in lines:
        if line.outcome == "underpaid":
            seen[(line.payer_id, line.code)].append(line)
    alarms = []
    for (payer, code), found in seen.items():
        distinct = tuple(sorted({ln.month for ln in found}))
        if len(distinct) >= months:
            total = sum((ln.variance for ln in found), ZERO)
            alarms.append(Alarm(payer, code, distinct, len(found), total))
    return sorted(alarms, key=lambda a: (-a.underpaid, a.payer_id, a.code))


@dataclass(frozen=True)
class DenialRow:
    category: str
    prevented_by: str
    code: str  # a CARC (group-reason) or RARC
    lines: int
    expected: Decimal


def denials(lines: Iterable[AuditedLine]) -> list[DenialRow]:
    """Denied lines by root-cause category and by each CARC/RARC they carry."""
    counts: Counter[tuple[str, str, str]] = Counter()
    money: dict[tuple[str, str, str], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.outcome != "denied":
            continue
        for code in line.codes or ("(none)",):
            if code.startswith("PR-"):
                continue  # patient responsibility is not the reason a line was denied
            key = (line.category or "other", line.prevented_by, code)
            counts[key] += 1
            money[key] += line.expected or ZERO
    rows = [DenialRow(c, p, code, n, money[(c, p, code)]) for (c, p, code), n in counts.items()]
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


def appeals(
    lines: Iterable[AuditedLine], *, appeal_days: int = 90
) -> list[tuple[AuditedLine, dt.date | None]]:
    """Underpaid and denied lines worth appealing, most at stake first, with the appeal deadline."""
    worth = [ln for ln in lines if ln.outcome in ("underpaid", "denied") and ln.at_stake > 0]
    worth.sort(key=lambda ln: (-ln.at_stake, ln.claim_id, ln.line_number))
    return [
        (ln, ln.paid_on + dt.timedelta(days=appeal_days) if ln.paid_on else None) for ln in worth
    ]
