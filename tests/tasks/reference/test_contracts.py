"""A payer's contract fee schedule from a practice's CSV into fee_schedule.csv."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from rules import fees
from rules.codes import Credential
from rules.loader import load_rule_set
from tasks.reference.contracts import ContractFile, plan_contract, read_contract
from tasks.reference.layouts import LayoutError
from tasks.reference.update import ChangeKind, apply

SUMMIT = Path(__file__).parents[2] / "fixtures" / "contracts" / "summit-2027.csv"
OCT = dt.date(2026, 10, 1)


def contract(**over: object) -> ContractFile:
    values: dict = {"payer_id": "summit_commercial", "file_name": "c.csv", "effective": OCT, **over}
    return ContractFile(**values)


def test_the_header_is_found_under_a_title_and_bad_rows_are_refused_with_their_line():
    read = read_contract(SUMMIT.read_text(), contract())
    assert [r["Code"] for _, r in read.records] == ["90853", "90853", "90785", "90849"]
    assert [(r.line, r.reason.split(":")[0]) for r in read.refused] == [
        (4, "provider type 'Masters' is not one of physician, psychologist, csw, mft_mhc, np_pa, MD, DO, PhD, PsyD, LCSW, LPC, LMHC, LMFT, NP, PA or any"),
        (8, "Code '9085'"),
        (9, "'forty' is not a number or a date where one belongs"),
    ]  # fmt: skip
    first = read.records[0][1]
    assert (first["Value"], first["Contract Term"], first["Basis"]) == (
        "50.00",
        "Exhibit B §2.1",
        "amount",
    )


def test_percent_of_medicare_dates_escalators_and_both_rates_refused():
    text = (
        "Code,% of Medicare,Rate,Effective,Annual Escalator %,Place of Service\n"
        "90853,110%,,01/15/2027,2.5,Non-Facility\n"
        "90785,,$14,,,facility\n"
        "90832,110,$80,,,\n"
    )
    read = read_contract(text, contract())
    rows = [r for _, r in read.records]
    assert (rows[0]["Basis"], rows[0]["Value"], rows[0]["Effective Date"]) == (
        "percent_of_medicare",
        "110",
        "2027-01-15",
    )
    assert (rows[0]["Annual Escalator %"], rows[0]["Setting"]) == ("2.5", "non_facility")
    assert (rows[1]["Effective Date"], rows[1]["Setting"]) == ("2026-10-01", "facility")
    assert [r.reason for r in read.refused] == ["give a rate or a percent of Medicare, not both"]


def test_a_file_without_a_code_and_rate_header_is_refused_whole():
    with pytest.raises(LayoutError, match="no header row with a code column"):
        read_contract("Name,Phone\nSummit,555\n", contract())


def _clean() -> bytes:
    """The Summit file without its three bad rows."""
    lines = SUMMIT.read_text().splitlines(keepends=True)
    return "".join(ln for n, ln in enumerate(lines, start=1) if n not in (4, 8, 9)).encode()


def test_a_file_with_refused_rows_ends_no_rate_it_leaves_out(rules: Path):
    plan, read = plan_contract(SUMMIT.read_bytes(), contract(), rules / "tables")
    assert len(read.refused) == 3
    assert not [c for c in plan.changes if c.kind is ChangeKind.REMOVED]
    assert any("3 row(s) refused: no rate the file leaves out was ended" in n for n in plan.notes)


def test_the_new_rates_start_on_their_date_and_step_5_names_the_clause(rules: Path):
    plan, _ = plan_contract(_clean(), contract(), rules / "tables")
    kinds = {(c.kind, c.key) for c in plan.changes}
    assert (ChangeKind.CHANGED, "90853") in kinds and (ChangeKind.ADDED, "90853 LMFT") in kinds
    assert (ChangeKind.REMOVED, "90853 mft_mhc") in kinds  # the file is the whole schedule
    apply(plan, rules / "tables")
    tables = load_rule_set(rules).tables

    def amount(day: dt.date, credential: Credential | None = None) -> fees.Expected | None:
        return fees.contract_amount(
            tables, "summit_commercial", None, "90853", [], "11", credential, day
        )

    now, before = amount(OCT), amount(OCT - dt.timedelta(days=1))
    assert now is not None and (now.amount, now.term) == (D("50.00"), "Exhibit B §2.1")
    assert before is not None and before.amount == D("48.00")
    lmft = amount(OCT, Credential.LMFT)
    assert lmft is not None and lmft.amount == D("44.00")
    mhc = amount(OCT, Credential.LMHC)  # the master's tier ended: the general rate applies
    assert mhc is not None and mhc.amount == D("50.00")
    # importing the same file again changes nothing
    assert plan_contract(_clean(), contract(), rules / "tables")[0].changes == []


def test_an_amendment_leaves_the_rates_it_does_not_name(rules: Path):
    plan, _ = plan_contract(_clean(), contract(amendment=True), rules / "tables")
    assert not [c for c in plan.changes if c.kind is ChangeKind.REMOVED]


def test_a_plan_import_leaves_the_payers_all_plan_rates(rules: Path):
    plan, _ = plan_contract(_clean(), contract(plan_id="summit_hmo"), rules / "tables")
    apply(plan, rules / "tables")
    tables = load_rule_set(rules).tables
    other = fees.contract_amount(
        tables, "summit_commercial", "summit_ppo", "90853", [], "11", None, OCT
    )
    hmo = fees.contract_amount(
        tables, "summit_commercial", "summit_hmo", "90853", [], "11", None, OCT
    )
    assert other is not None and other.amount == D("48.00")  # the all-plan rate still holds
    assert hmo is not None and hmo.amount == D("50.00")


def test_a_rate_dated_before_a_later_one_ends_when_the_later_starts(rules: Path):
    later = b"Code,Rate,Effective\n90791,$60.00,2027-01-01\n"
    apply(plan_contract(later, contract(amendment=True), rules / "tables")[0], rules / "tables")
    earlier = b"Code,Rate,Effective\n90791,$55.00,2026-07-01\n"
    apply(plan_contract(earlier, contract(amendment=True), rules / "tables")[0], rules / "tables")
    tables = load_rule_set(rules).tables

    def rate(day: str) -> D | None:
        got = fees.contract_amount(
            tables, "summit_commercial", None, "90791", [], "11", None, dt.date.fromisoformat(day)
        )
        return got.amount if got else None

    assert (rate("2026-06-30"), rate("2026-12-31"), rate("2027-01-01")) == (
        None,
        D("55.00"),
        D("60.00"),
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("90785,110 %", "rate '110 %' is a percent"),
        ("90853,$1,234.50", "the row has more cells than the header"),
    ],
)
def test_a_rate_that_is_not_dollars_is_refused(line: str, reason: str):
    read = read_contract(f"Code,Rate\n{line}\n", contract())
    assert [r.reason[: len(reason)] for r in read.refused] == [reason]


def test_old_mac_line_ends_and_latin1_are_read(rules: Path):
    data = "Code,Rate,Section\r90853,$50.00,Exhibit B \xa72\r".encode("latin-1")
    _, read = plan_contract(data, contract(amendment=True), rules / "tables")
    assert [r["Contract Term"] for _, r in read.records] == ["Exhibit B \xa72"]


def test_a_workbook_is_refused_with_what_to_do(rules: Path):
    with pytest.raises(LayoutError, match="save the sheet as CSV"):
        plan_contract(b"PK\x03\x04", contract(), rules / "tables")
