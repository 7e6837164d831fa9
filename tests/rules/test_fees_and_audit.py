"""Expected allowed amounts and the classification of paid lines (step 5 arithmetic)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rules import audit, fees
from rules.codes import Credential
from rules.loader import default_rule_set
from rules.remit import Adjustment, RemitLine
from tests import contexts

TABLES = default_rule_set().tables


class TestMedicareAmount:
    def test_the_worked_example_to_the_cent(self):
        """90853 on 2024-06-12, non-facility, psychologist: 0.83 x 33.2875 = $27.63."""
        expected = fees.medicare_amount(TABLES, "90853", "11", Credential.PHD, dt.date(2024, 6, 12))
        assert expected is not None and expected.amount == Decimal("27.63")
        assert not expected.illustrative

    @pytest.mark.parametrize(
        ("day", "pos", "amount"),
        [
            ("2024-02-01", "11", "27.18"),  # January 2024 conversion factor 32.7442
            ("2024-06-12", "02", "23.97"),  # telehealth elsewhere is paid at the facility rate
            ("2024-06-12", "10", "27.63"),  # telehealth at home at the non-facility rate
            ("2023-06-01", "11", "26.77"),
            ("2022-06-01", "53", "23.88"),  # a CMHC is a facility
        ],
    )
    def test_amounts_by_date_and_setting(self, day: str, pos: str, amount: str):
        """The PFS amount follows the year's RVUs and CF and the facility or non-facility rate."""
        expected = fees.medicare_amount(
            TABLES, "90853", pos, Credential.PSYD, dt.date.fromisoformat(day)
        )
        assert expected is not None and str(expected.amount) == amount

    @pytest.mark.parametrize(
        ("code", "day", "pos", "amount"),
        [
            # CMS's national amounts (RVU total x CF, half-up), docs/sources.md §18
            ("90846", "2023-06-01", "11", "95.56"),
            ("90847", "2024-06-12", "11", "102.19"),
            ("90847", "2024-06-12", "53", "101.53"),
            ("90849", "2025-03-03", "11", "37.52"),
            ("90849", "2025-03-03", "53", "29.44"),
            ("90832", "2024-02-01", "11", "76.95"),
            ("90837", "2025-03-03", "11", "154.29"),
            ("90791", "2023-06-01", "53", "150.80"),
            ("90853", "2025-03-03", "53", "24.26"),
            # RVU25D: 2.25 / 1.99, 2.86 / 2.53, 3.80 / 3.38 total RVUs x 32.3465
            ("90833", "2025-03-03", "11", "72.78"),
            ("90833", "2025-03-03", "53", "64.37"),
            ("90836", "2025-03-03", "11", "92.51"),
            ("90836", "2025-03-03", "53", "81.84"),
            ("90838", "2025-03-03", "11", "122.92"),
            ("90838", "2025-03-03", "53", "109.33"),
        ],
    )
    def test_every_code_the_rules_name_has_the_published_amount(
        self, code: str, day: str, pos: str, amount: str
    ):
        expected = fees.medicare_amount(
            TABLES, code, pos, Credential.PSYD, dt.date.fromisoformat(day)
        )
        assert expected is not None and str(expected.amount) == amount
        assert not expected.illustrative

    @pytest.mark.parametrize(
        ("credential", "amount"),
        [
            (Credential.LCSW, "20.72"),
            (Credential.LMFT, "20.72"),
            (Credential.LMHC, "20.72"),
            (Credential.MD, "27.63"),
        ],
    )
    def test_provider_type_percentage(self, credential: Credential, amount: str):
        """CSWs, MFTs and MHCs are paid 75 % of the PFS amount; physicians 100 %."""
        expected = fees.medicare_amount(TABLES, "90853", "11", credential, dt.date(2024, 6, 12))
        assert expected is not None and str(expected.amount) == amount

    def test_unknown_code_has_no_amount(self):
        """A code without RVUs on the date has no Medicare amount."""
        assert (
            fees.medicare_amount(TABLES, "90853", "11", Credential.PHD, dt.date(2021, 6, 1)) is None
        )


class TestContractAmount:
    def test_most_specific_row_wins(self):
        """Keystone pays MFTs and MHCs a master's-level tier (110 %) instead of 125 % of Medicare."""
        day = dt.date(2024, 6, 12)
        general = fees.contract_amount(
            TABLES, "keystone_commercial", None, "90853", [], "11", Credential.PHD, day
        )
        tier = fees.contract_amount(
            TABLES, "keystone_commercial", None, "90853", [], "11", Credential.LMFT, day
        )
        assert general is not None and general.amount == Decimal("34.54")  # 27.63 x 1.25
        assert tier is not None and tier.amount == Decimal("22.79")  # 20.72 x 1.10

    def test_modifier_specific_rate(self):
        """Pecan pays 90853-HQ $24.50 and 90853 without HQ $22.00."""
        day = dt.date(2026, 11, 2)
        assert fees.contract_amount(
            TABLES, "pecan_tx_medicaid", None, "90853", ["HQ"], "11", None, day
        ).amount == Decimal("24.50")  # type: ignore[union-attr]
        assert fees.contract_amount(
            TABLES, "pecan_tx_medicaid", None, "90853", [], "11", None, day
        ).amount == Decimal("22.00")  # type: ignore[union-attr]


class TestContractTerms:
    def _tables(self, **row: str):
        from rules.tables import FeeRow, Tables

        tables = Tables()
        cells = {"Payer": "acme", "Code": "90853", "Effective Date": "2024-03-01",
                 "Basis": "amount", "Value": "40.00", "Source": "Acme agreement", **row}  # fmt: skip
        FeeRow.model_validate(cells).file_in(tables)
        return tables

    @pytest.mark.parametrize(
        ("day", "amount"),
        [
            ("2024-06-12", "40.00"),
            ("2025-02-28", "40.00"),
            ("2025-03-01", "41.20"),
            ("2026-11-02", "42.44"),
        ],
    )
    def test_an_escalator_raises_the_amount_on_each_anniversary(self, day: str, amount: str):
        tables = self._tables(**{"Annual Escalator %": "3", "Contract Term": "Exhibit B §4"})
        got = fees.contract_amount(
            tables, "acme", None, "90853", [], "11", None, dt.date.fromisoformat(day)
        )
        assert got is not None and (got.amount, got.term) == (Decimal(amount), "Exhibit B §4")

    def test_the_lesser_of_billed_and_contract_is_expected(self):
        ctx = contexts.build(contexts.base("summit_commercial"))  # $48.00 for 90853
        line = ctx.claim.lines[0].model_copy(update={"charge": Decimal("40.00")})
        expected = audit.expected_allowed(ctx, TABLES, line)
        assert expected is not None and expected.amount == Decimal("40.00")
        assert "lesser of billed $40.00 and contract $48.00" in expected.detail
        contract = audit.contract_total(ctx, TABLES, line)
        assert contract is not None and contract.amount == Decimal("48.00")

    def test_a_contract_without_the_lesser_of_clause_expects_its_amount(self):
        tables = self._tables(**{"Lesser Of Billed": "no"})
        got = fees.contract_amount(
            tables, "acme", None, "90853", [], "11", None, dt.date(2024, 6, 1)
        )
        assert got is not None and not got.lesser_of_billed


def remit_line(paid: str, *adjustments: tuple[str, str, str]) -> RemitLine:
    return RemitLine(
        line_number=1,
        procedure_code="90853",
        charge=Decimal("95.00"),
        paid=Decimal(paid),
        adjustments=[Adjustment(group=g, reason=r, amount=Decimal(a)) for g, r, a in adjustments],
    )  # type: ignore[arg-type]


class TestAuditLine:
    @pytest.fixture
    def keystone(self):
        return contexts.build(contexts.base("keystone_commercial"))

    def test_paid_correctly(self, keystone):
        """Allowed $28.49 (125 % of the Medicare LCSW amount) with the $20 copay is correct."""
        result = audit.audit_line(
            keystone,
            TABLES,
            keystone.claim.lines[0],
            remit_line("8.49", ("CO", "45", "66.51"), ("PR", "3", "20.00")),
            tolerance=Decimal("0.50"),
        )
        assert (
            result.outcome,
            result.expected_allowed,
            result.allowed,
            result.expected_patient,
        ) == (audit.Outcome.PAID_CORRECTLY, Decimal("28.49"), Decimal("28.49"), Decimal("20.00"))

    def test_underpaid_beyond_the_tolerance(self, keystone):
        """Allowed $27.00 against $28.49 is underpaid by $1.49."""
        result = audit.audit_line(
            keystone,
            TABLES,
            keystone.claim.lines[0],
            remit_line("7.00", ("CO", "45", "68.00"), ("PR", "3", "20.00")),
            tolerance=Decimal("0.50"),
        )
        assert (result.outcome, result.variance) == (audit.Outcome.UNDERPAID, Decimal("1.49"))

    def test_within_tolerance_is_correct(self, keystone):
        """A variance under the tolerance is rounding, not underpayment."""
        result = audit.audit_line(
            keystone,
            TABLES,
            keystone.claim.lines[0],
            remit_line("8.19", ("CO", "45", "66.81"), ("PR", "3", "20.00")),
            tolerance=Decimal("0.50"),
        )
        assert result.outcome is audit.Outcome.PAID_CORRECTLY

    def test_overpaid(self, keystone):
        """Allowed above the contract is overpaid (expect a take-back)."""
        result = audit.audit_line(
            keystone,
            TABLES,
            keystone.claim.lines[0],
            remit_line("20.00", ("CO", "45", "55.00"), ("PR", "3", "20.00")),
            tolerance=Decimal("0.50"),
        )
        assert result.outcome is audit.Outcome.OVERPAID

    @pytest.mark.parametrize(
        ("carc", "group", "category", "step"),
        [
            ("197", "CO", "authorization", "verification"),
            ("18", "OA", "duplicate", "coding_edits"),
            ("50", "CO", "medical_necessity", "documentation"),
            ("29", "CO", "timely_filing", ""),
            ("97", "CO", "bundling", "coding_edits"),
        ],
    )
    def test_denial_category_and_step(
        self, keystone, carc: str, group: str, category: str, step: str
    ):
        """A denial gets its root-cause category and the step that should have caught it."""
        result = audit.audit_line(
            keystone,
            TABLES,
            keystone.claim.lines[0],
            remit_line("0.00", (group, carc, "95.00")),
            tolerance=Decimal("0.50"),
        )
        assert (result.outcome, result.denial_category, result.prevented_by) == (
            audit.Outcome.DENIED,
            category,
            step,
        )

    def test_sequestration_is_not_a_reduction_of_allowed(self):
        """CARC 253 reduces payment, not the allowed amount."""
        line = remit_line(
            "17.87", ("CO", "45", "72.21"), ("CO", "253", "0.36"), ("PR", "2", "4.56")
        )
        assert (line.allowed, line.sequestration, line.balances) == (
            Decimal("22.79"),
            Decimal("0.36"),
            True,
        )

    def test_patient_share_with_deductible(self, keystone):
        """The unmet deductible is the patient's first, then the copay."""
        ctx = contexts.build(
            contexts.apply(
                contexts.base("keystone_commercial"),
                {"coverage.deductible": "500.00", "coverage.deductible_met": "490.00"},
            )
        )
        assert audit.expected_patient_share(ctx, Decimal("28.49")) == Decimal(
            "28.49"
        )  # 10.00 deductible + 18.49 (copay capped at what is left)


def test_a_location_in_a_medicare_locality_is_priced_with_its_gpcis():
    """Medicare and percent-of-Medicare contracts use the location's locality GPCIs."""
    import copy

    from rules.tables import Gpci

    tables = copy.deepcopy(TABLES)
    cells = {"Locality": "04412-31", "Effective Date": "2026-01-01", "PW GPCI": "1.000",
             "PE GPCI": "1.500", "MP GPCI": "1.000"}  # fmt: skip
    Gpci.model_validate(cells).file_in(tables)
    for payer in ("medicare", "keystone_commercial"):
        base = contexts.base(payer)
        local = contexts.build(contexts.apply(base, {"location.medicare_locality": "04412-31"}))
        national = contexts.build(base)
        there = audit.contract_total(local, tables, local.claim.lines[0])
        here = audit.contract_total(national, tables, national.claim.lines[0])
        assert there is not None and here is not None
        assert there.amount > here.amount and "GPCI 04412-31" in there.detail, payer
