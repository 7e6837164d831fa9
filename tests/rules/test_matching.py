"""Matching a payer's answer to what was billed, and netting what it said over time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from rules.matching import BilledLine, ClaimCandidate, PaidLine, match_claim, match_lines
from rules.remit import Adjustment, RemitClaim, RemitLine, effective, merge_split, payment_balances

DAY = dt.date(2026, 9, 14)


def cand(cid: str, member: str = "M1", day: dt.date = DAY, charge: str = "95") -> ClaimCandidate:
    return ClaimCandidate(cid, member, day, D(charge))


class TestClaimMatching:
    def match(self, control, candidates, member="M1", day=DAY, charge="95"):
        return match_claim(
            control, candidates, member_id=member, service_date=day, charge=D(charge)
        )

    def test_the_control_number_is_the_first_key(self):
        assert self.match("CL-1", [cand("CL-2"), cand("CL-1")]).method == "control_number"

    def test_case_punctuation_and_leading_zeros_do_not_matter(self):
        found = self.match("0cl1", [cand("CL-1"), cand("CL-2")])
        assert (found.claim_id, found.method) == ("CL-1", "normalized_control_number")

    def test_a_truncated_number_matches_the_one_claim_it_begins(self):
        found = self.match("CL-2026-0000", [cand("CL-2026-000001-01"), cand("CL-2027-000001-01")])
        assert (found.claim_id, found.method) == ("CL-2026-000001-01", "truncated_control_number")

    def test_a_truncation_several_claims_share_is_settled_by_date_and_charge(self):
        other_week = cand("CL-2026-000006-001-03", day=DAY - dt.timedelta(days=7))
        found = self.match("CL-2026-000006-00", [other_week, cand("CL-2026-000006-002-03")])
        assert found.claim_id == "CL-2026-000006-002-03"
        assert found.method == "truncated_control_number+date_charge"

    def test_too_short_an_echo_is_not_called_truncation(self):
        found = self.match("CL", [cand("CL-1", member="M9")], member="M1")
        assert found.claim_id is None

    def test_the_members_claim_on_that_date_for_that_charge_matches_an_altered_number(self):
        found = self.match("XYZ999", [cand("CL-1"), cand("CL-2", charge="40")])
        assert (found.claim_id, found.method) == ("CL-1", "member_date_charge")

    def test_two_claims_that_fit_equally_are_not_guessed_between(self):
        found = self.match("XYZ999", [cand("CL-1"), cand("CL-2")])
        assert found.claim_id is None and "2 claims fit equally" in found.reason

    def test_nothing_that_fits_says_why(self):
        found = self.match("XYZ999", [])
        assert found.claim_id is None and found.method == "none" and "no claim" in found.reason


def billed(
    n: int,
    code: str = "90853",
    mods: tuple[str, ...] = (),
    charge: str = "95",
    lcn: str | None = None,
) -> BilledLine:
    return BilledLine(n, code, mods, D(1), D(charge), DAY, lcn)


def paid(
    p: int,
    code: str = "90853",
    mods: tuple[str, ...] = (),
    charge: str = "95",
    original: str | None = None,
    lcn: str | None = None,
    day: dt.date | None = DAY,
) -> PaidLine:
    return PaidLine(p, code, original, mods, D(1), D(charge), day, lcn)


class TestLineMatching:
    def test_the_line_control_number_comes_first(self):
        (m,) = match_lines([billed(1, lcn="A"), billed(2, lcn="B")], [paid(1, lcn="B")])
        assert (m.line_number, m.method) == (2, "line_control_number")

    def test_modifiers_may_come_back_reordered_or_dropped(self):
        lines = [billed(1, mods=("95", "GT")), billed(2, "90785", charge="20")]
        reordered, dropped = match_lines(
            lines, [paid(1, mods=("GT", "95")), paid(2, "90785", charge="20")]
        )
        assert reordered.line_number == 1 and dropped.line_number == 2
        (m,) = match_lines([billed(1, mods=("95",))], [paid(1)])
        assert (m.line_number, m.method) == (1, "code_date_units_charge")

    def test_a_modifier_the_payer_invented_does_not_match_exactly(self):
        (m,) = match_lines([billed(1)], [paid(1, mods=("59",))])
        assert m.method == "code_date"

    def test_a_recoded_line_matches_by_the_billed_code_in_svc06(self):
        (m,) = match_lines(
            [billed(1), billed(2, "90785", charge="20")], [paid(1, "90849", original="90853")]
        )
        assert (m.line_number, m.method) == (1, "code_date_units_charge")

    def test_a_recoded_line_without_svc06_matches_by_date_and_charge(self):
        (m,) = match_lines([billed(1), billed(2, "90785", charge="20")], [paid(1, "90849")])
        assert (m.line_number, m.method) == (1, "date_charge_recoded")

    def test_a_second_payment_of_a_matched_line_is_a_split(self):
        first, second = match_lines(
            [billed(1, charge="95")], [paid(1, charge="50"), paid(2, charge="45")]
        )
        assert first.line_number == 1 and (second.line_number, second.method) == (1, "split")

    def test_a_line_that_fits_nothing_is_queued_with_the_reason(self):
        (m,) = match_lines(
            [billed(1)], [paid(1, "90834", charge="120", day=DAY + dt.timedelta(days=1))]
        )
        assert m.line_number is None and "90834" in m.reason


def remit(
    status: str, paid_amount: str, icn: str | None = "ICN1", lines: list[RemitLine] | None = None
) -> RemitClaim:
    return RemitClaim(claim_id="CL-1", status_code=status, charge=D("95"), paid=D(paid_amount),
                      payer_claim_control_number=icn, lines=lines or [])  # fmt: skip


class TestNetting:
    def test_a_reversal_cancels_what_it_reverses_and_the_repayment_stands(self):
        first, reversal, again = remit("1", "60"), remit("22", "-60"), remit("1", "70", icn="ICN2")
        assert effective([first, reversal, again]) is again

    def test_a_reversal_cancels_the_posting_with_its_icn_not_simply_the_last(self):
        a, b = remit("1", "60", icn="A"), remit("1", "70", icn="B")
        assert effective([a, b, remit("22", "-60", icn="A")]) is b

    def test_a_claim_whose_every_posting_was_reversed_has_no_answer(self):
        assert effective([remit("1", "60"), remit("22", "-60")]) is None

    def test_the_parts_of_a_split_claim_are_one_answer(self):
        # MA15 on each part (X12 RFI 1076): the first part pays line 1, a later 835 line 2.
        one = RemitLine(line_number=1, procedure_code="90853", charge=D("95"), paid=D("60"))
        two = RemitLine(line_number=2, procedure_code="90785", charge=D("20"), paid=D("12"))
        first = remit("1", "60", lines=[one]).model_copy(update={"remark_codes": ["MA15"]})
        second = remit("1", "12", icn="ICN2", lines=[two]).model_copy(
            update={"remark_codes": ["MA15"], "charge": D("20")}
        )
        answer = effective([first, second])
        assert answer is not None
        assert (answer.paid, answer.charge) == (D("72"), D("115"))
        assert [ln.line_number for ln in answer.lines] == [1, 2]

    def test_a_whole_answer_after_split_parts_replaces_them(self):
        part = remit("1", "60").model_copy(update={"remark_codes": ["MA15"]})
        whole = remit("1", "72", icn="ICN3")
        assert effective([part, whole]) is whole

    def test_a_reversed_part_leaves_the_other_part_standing(self):
        part = remit("1", "60", icn="A").model_copy(update={"remark_codes": ["MA15"]})
        other = remit("1", "12", icn="B").model_copy(update={"remark_codes": ["MA15"]})
        assert effective([part, other, remit("22", "-60", icn="A")]) is other

    def test_a_split_line_is_audited_as_its_sum(self):
        part = RemitLine(line_number=1, procedure_code="90853", charge=D("50"), paid=D("30"),
                         adjustments=[Adjustment(group="CO", reason="45", amount=D("20"))])  # fmt: skip
        rest = part.model_copy(update={"charge": D("45"), "paid": D("25")})
        (merged,) = merge_split([part, rest])
        assert (merged.charge, merged.paid, merged.total("CO")) == (D("95"), D("55"), D("40"))


class TestBalancing:
    @pytest.mark.parametrize(
        ("claims", "plb", "amount", "ok"),
        [("100", "0", "100", True), ("100", "-1.25", "101.25", True), ("100", "10", "100", False)],
    )
    def test_claims_paid_less_provider_adjustments_is_the_payment(self, claims, plb, amount, ok):
        assert payment_balances(D(claims), D(plb), D(amount)) is ok

    def test_a_claim_balances_when_charge_less_every_adjustment_is_paid(self):
        line = RemitLine(line_number=1, procedure_code="90853", charge=D("95"), paid=D("60"),
                         adjustments=[Adjustment(group="CO", reason="45", amount=D("35"))])  # fmt: skip
        assert remit("1", "60", lines=[line]).balances()
        assert not remit("1", "61", lines=[line]).balances()
