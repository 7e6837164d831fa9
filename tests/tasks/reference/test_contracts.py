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


def test_the_new_rates_start_on_their_date_and_step_5_names_the_clause(rules: Path):
    plan, _ = plan_contract(SUMMIT.read_bytes(), contract(), rules / "tables")
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
    assert plan_contract(SUMMIT.read_bytes(), contract(), rules / "tables")[0].changes == []


def test_an_amendment_leaves_the_rates_it_does_not_name(rules: Path):
    plan, _ = plan_contract(SUMMIT.read_bytes(), contract(amendment=True), rules / "tables")
    assert not [c for c in plan.changes if c.kind is ChangeKind.REMOVED]


def test_a_workbook_is_refused_with_what_to_do(rules: Path):
    with pytest.raises(LayoutError, match="save the sheet as CSV"):
        plan_contract(b"PK\x03\x04", contract(), rules / "tables")
