"""The revenue-leak arithmetic: underpayments, the persistent-underpayer alarm, denials, rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from rules import leaks


def line(outcome: str = "paid_correctly", *, payer: str = "summit", code: str = "90853", month: int = 9,
         variance: str = "0", expected: str | None = "40", category: str = "", codes: tuple[str, ...] = (),
         claim: str = "CL-1", n: int = 1, paid_on: dt.date | None = None) -> leaks.AuditedLine:  # fmt: skip
    return leaks.AuditedLine(
        claim, n, payer, "1234567893", "austin", dt.date(2026, month, 14), code, outcome,
        D(expected) if expected else None, D("30"), D("24"), D(variance), "fee schedule",
        category, "verification" if category else "", codes, paid_on,
    )  # fmt: skip


class TestUnderpayments:
    def test_groups_by_each_dimension_largest_shortfall_first(self):
        lines = [line("underpaid", payer="a", variance="5"), line("underpaid", payer="b", variance="9"),
                 line("underpaid", payer="a", variance="6"), line("paid_correctly", payer="c")]  # fmt: skip
        groups = leaks.underpayments_by(lines, "payer")
        assert [(g.key, g.lines, g.underpaid) for g in groups] == [
            ("a", 2, D("11")),
            ("b", 1, D("9")),
        ]

    def test_an_unknown_dimension_is_refused(self):
        with pytest.raises(ValueError, match="dimension is one of"):
            leaks.underpayments_by([], "color")


class TestPersistentUnderpayer:
    def test_the_same_code_underpaid_in_enough_months_raises_the_alarm(self):
        lines = [line("underpaid", month=m, variance="4") for m in (8, 9, 10)]
        (alarm,) = leaks.persistent_underpayers(lines, months=3)
        assert (alarm.payer_id, alarm.code, alarm.months, alarm.underpaid) == (
            "summit",
            "90853",
            ("2026-08", "2026-09", "2026-10"),
            D("12"),
        )
        assert "3 months" in alarm.message()

    def test_fewer_months_or_another_code_does_not(self):
        lines = [
            line("underpaid", month=8),
            line("underpaid", month=9),
            line("underpaid", month=10, code="90785"),
        ]
        assert leaks.persistent_underpayers(lines, months=3) == []
        assert len(leaks.persistent_underpayers(lines, months=2)) == 1

    def test_cents_within_the_tolerance_that_add_up_raise_the_alarm(self):
        """A payer that shaves 40 cents off every line stays under the per-line tolerance;
        the running total per payer and code does not."""
        shaved = [line(variance="0.40", month=8 + n % 3, claim=f"CL-{n}") for n in range(70)]
        (alarm,) = leaks.persistent_underpayers(shaved, months=3)
        assert (alarm.kind, alarm.lines, alarm.underpaid) == ("cents", 70, D("28.00"))
        assert "each within the per-line tolerance: $28.00 in all" in alarm.message()
        # 60 such lines are $24.00: under the alarm's total, so no alarm
        assert leaks.persistent_underpayers(shaved[:60], months=3) == []
        # overpaid or exact lines add nothing
        assert leaks.persistent_underpayers([line(variance="-0.40")] * 100, months=3) == []

    def test_the_threshold_is_at_least_one_month(self):
        with pytest.raises(ValueError):
            leaks.persistent_underpayers([], months=0)


class TestDenials:
    def test_denials_are_counted_by_category_and_each_code_except_patient_share(self):
        lines = [line("denied", category="authorization", codes=("CO-197", "PR-2")),
                 line("denied", category="authorization", codes=("CO-197",)), line("underpaid", variance="3")]  # fmt: skip
        (row,) = leaks.denials(lines)
        assert (row.category, row.code, row.lines, row.expected, row.prevented_by) == (
            "authorization",
            "CO-197",
            2,
            D("80"),
            "verification",
        )
        assert leaks.summary(lines).denied_by_category == {"authorization": 2}


class TestRates:
    def state(self, *, checked=True, held=False, remitted=False, first=False, day=14):
        return leaks.ClaimState("CL", dt.date(2026, 9, day), checked, held, remitted, first)

    def test_clean_claim_and_first_pass_rates(self):
        states = [
            self.state(),
            self.state(held=True),
            self.state(remitted=True, first=True),
            self.state(remitted=True),
        ]
        rates = leaks.rates(states)
        assert (rates.clean_claim_rate, rates.first_pass_rate) == (0.75, 0.5)

    def test_no_claims_gives_no_rate_rather_than_a_division_by_zero(self):
        assert leaks.rates([]).clean_claim_rate is None

    def test_rates_by_week_start_on_monday(self):
        weeks = leaks.by_week(
            [self.state(day=14), self.state(day=18, held=True), self.state(day=21)], leaks.rates
        )
        assert [(w.isoformat(), r.claims_checked) for w, r in weeks] == [
            ("2026-09-14", 2),
            ("2026-09-21", 1),
        ]

    def test_weeks_summed_in_parts_give_the_rates_of_the_whole(self):
        """A report sums each page of claims by week, then adds the pages: same rates."""
        states = [
            self.state(day=14, remitted=True, first=True),
            self.state(day=15, held=True),
            self.state(day=21, remitted=True),
            self.state(day=22, checked=False),
        ]
        whole = leaks.by_week(states, leaks.rates)
        parts: dict[dt.date, leaks.Rates] = {}
        for part in (states[:1], states[1:3], states[3:]):
            for week, rates in leaks.by_week(part, leaks.rates):
                parts[week] = parts[week] + rates if week in parts else rates
        assert sorted(parts.items()) == whole
        assert leaks.total(whole) == leaks.rates(states)
        assert leaks.total([]).clean_claim_rate is None


class TestAppeals:
    def test_underpaid_and_denied_lines_most_at_stake_first_with_a_deadline(self):
        paid_on = dt.date(2026, 10, 1)
        lines = [
            line("underpaid", variance="3", paid_on=paid_on),
            line("denied", expected="40", claim="CL-2", paid_on=paid_on),
            line(),
        ]
        queue = leaks.appeals(lines, appeal_days=90)
        assert [(ln.claim_id, ln.at_stake) for ln, _ in queue] == [
            ("CL-2", D("40")),
            ("CL-1", D("3")),
        ]
        assert queue[0][1] == dt.date(2026, 12, 30)


class TestLedger:
    def test_it_keeps_sums_not_lines(self):
        """A thousand underpaid lines of one payer, code and month are one cell of sums."""
        ledger = leaks.Ledger()
        for n in range(1000):
            ledger.add(line("underpaid", variance="1.25", claim=f"CL-{n}"))
        assert len(ledger.underpaid_cells) == 1
        assert all(len(groups) == 1 for groups in ledger.groups.values())
        assert ledger.summary.underpaid_total == D("1250.00")
        (group,) = ledger.underpayments_by("provider")
        assert (group.lines, group.underpaid) == (1000, D("1250.00"))

    def test_the_order_lines_arrive_in_changes_nothing(self):
        lines = [
            line("underpaid", payer="a", month=m, variance=v, code=c)
            for m, v, c in [(8, "4", "90853"), (9, "2.5", "90853"), (10, "1", "90853"), (9, "3", "90785")]
        ] + [line("denied", category="authorization", codes=("CO-197", "PR-1")), line()]  # fmt: skip
        forward, backward = leaks.Ledger.of(lines), leaks.Ledger.of(reversed(lines))
        assert forward == backward
        assert forward.persistent_underpayers(months=3) == leaks.persistent_underpayers(lines)
        assert forward.underpaid_by_payer_month() == {
            "a": {"2026-08": D("4"), "2026-09": D("5.5"), "2026-10": D("1")}
        }
