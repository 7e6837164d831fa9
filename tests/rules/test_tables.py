"""Code tables: each row is checked cell by cell, and each bad cell is named by file, line and column."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from rules.errors import RuleProblem
from rules.loader import RULES_ROOT, default_rule_set
from rules.tables import FILES, FeeBasis, ModifierIndicator, Tables, load_tables


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for name in FILES:
        (tmp_path / name).write_bytes((RULES_ROOT / "tables" / name).read_bytes())
    return tmp_path


def append(folder: Path, name: str, row: str) -> int:
    """Add a row to a table; its line number as the loader counts (comments skipped)."""
    path = folder / name
    path.write_text(path.read_text() + row + "\n")
    return sum(1 for line in path.read_text().splitlines() if not line.startswith("#"))


def load(folder: Path) -> tuple[list[str], Tables]:
    problems: list[RuleProblem] = []
    tables = load_tables(folder, problems)
    return [str(p) for p in problems], tables


def test_every_bad_cell_of_a_row_is_named(folder: Path):
    """A fee row with three bad cells gives three problems, each with its column and what was there."""
    line = append(
        folder,
        "fee_schedule.csv",
        "acme,,9085,,any,any,2024-02-30,,percent,100,yes,test",
    )
    found, _ = load(folder)
    assert sorted(found) == sorted(
        [
            f"fee_schedule.csv:{line}: Code: expected a 5-character code; found '9085'",
            f"fee_schedule.csv:{line}: Effective Date: expected a date (YYYYMMDD or YYYY-MM-DD); found '2024-02-30'",
            f"fee_schedule.csv:{line}: Basis: expected amount or percent_of_medicare; found 'percent'",
        ]
    )


@pytest.mark.parametrize(
    ("name", "row", "column", "expected"),
    [
        (
            "ncci_ptp_practitioner.csv",
            "90853,90832,,20240101,*,7,x,yes,test",
            "Modifier 0=not allowed 1=allowed 9=not applicable",
            "0, 1 or 9; found '7'",
        ),
        (
            "mue_practitioner.csv",
            "90853,one,2 Date of Service Edit: Policy,x,20240101,yes,test",
            "Practitioner Services MUE Values",
            "a whole number; found 'one'",
        ),
        (
            "mue_practitioner.csv",
            "90853,1,Date of Service,x,20240101,yes,test",
            "MUE Adjudication Indicator",
            "text starting 1, 2 or 3; found 'Date of Service'",
        ),
        (
            "medicare_pfs_rvu.csv",
            "90853,2027-01-01,,NaN,0.18,0.08,0.02,34,no,test",
            "Work RVU",
            "a number; found 'NaN'",
        ),
        (
            "medicare_gpci.csv",
            "04412-31,AUSTIN,2027-01-01,1,1,1,maybe,test",
            "Illustrative",
            "yes or no; found 'maybe'",
        ),
        (
            "carc_categories.csv",
            "999,coding,step_six,x,test",
            "Prevented By Step",
            "'', 'verification', 'code_confirmation', 'documentation' or 'coding_edits'; found 'step_six'",
        ),
        (
            "payer_terms.csv",
            "summit_commercial,-5,30,yes,test",
            "Timely Filing Days",
            "greater than or equal to 1; found '-5'",
        ),
        (
            "medicare_provider_percent.csv",
            ",80,no,test",
            "Provider Type",
            "a value; found ''",
        ),
    ],
)
def test_a_bad_cell_names_file_line_column_and_value(
    folder: Path, name: str, row: str, column: str, expected: str
):
    """Each kind of cell says what it expected and what it found."""
    line = append(folder, name, row)
    found, _ = load(folder)
    assert found == [f"{name}:{line}: {column}: expected {expected}"]


def test_a_missing_column_is_named(folder: Path):
    """A table without a column its rows need says which column, once per row."""
    path = folder / "medicare_pfs_rvu.csv"
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("#")]
    header = lines[0].split(",")
    dropped = header.index("MP RVU")
    path.write_text(
        "\n".join(",".join(c for i, c in enumerate(ln.split(",")) if i != dropped) for ln in lines)
    )
    found, _ = load(folder)
    assert len(found) == len(lines) - 1 > 10
    assert all(": MP RVU: the column is missing or the row is short" in p for p in found)


def test_good_rows_around_a_bad_one_are_kept(folder: Path):
    """A bad row is left out; the rows before and after it are read."""
    append(folder, "fee_schedule.csv", "acme,,90853,,any,any,2024-01-01,,amount,bad,no,test")
    append(folder, "fee_schedule.csv", "acme,,90853,,facility,any,2024-01-01,,amount,55.5,no,test")
    found, tables = load(folder)
    assert len(found) == 1
    rows = tables.fee_rows("acme", "90853", dt.date(2024, 6, 1))
    assert [(r.setting, r.basis, r.value) for r in rows] == [
        ("facility", FeeBasis.AMOUNT, Decimal("55.5"))
    ]


def test_cms_shapes_are_read(folder: Path):
    """CMS's own cell forms: YYYYMMDD dates, '*' for no deletion, a lowercase code, the
    adjudication indicator with its words, extra columns ignored, no MUE effective date."""
    append(folder, "ncci_ptp_practitioner.csv", "g0410,90785,*,20240101,*,0,x,no,test")
    append(folder, "mue_practitioner.csv", "90899,3,3 Date of Service Edit: Clinical,x,,no,test")
    found, tables = load(folder)
    assert found == []
    edit = tables.ptp_edit("G0410", "90785", dt.date(2030, 1, 1))
    assert edit is not None and edit.deleted is None
    assert edit.modifier_indicator is ModifierIndicator.NEVER
    mue = tables.mue_for("90899", dt.date(2001, 1, 1))
    assert mue is not None
    assert (mue.units, mue.adjudication_indicator, mue.effective) == (3, 3, dt.date(2000, 1, 1))


def test_payer_terms_give_each_payer_its_windows():
    """The stuck-claims monitor's filing windows and payment waits are rule data."""
    tables = default_rule_set().tables
    assert tables.filing_days()["medicare"] == 365
    assert tables.filing_days()["_default"] == 90
    assert tables.remittance_days()["medicare"] == 30
