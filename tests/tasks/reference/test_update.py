"""Imported reference files turned into the rules folder's tables: difference, history, log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from rules.loader import load_rule_set
from rules.tables import PfsStatus
from tasks.reference.layouts import LayoutError, TableKind
from tasks.reference.update import ChangeKind, Plan, apply, plan_import

CMS = Path(__file__).parents[2] / "fixtures" / "cms"
SAMPLE = Path(__file__).parents[3] / "samples" / "reference" / "PPRRVU26_OCT_SAMPLE.csv"
OCT_2026 = dt.date(2026, 10, 1)
OCT_2025 = dt.date(2025, 10, 1)


def planned(kind: TableKind, data: bytes, rules: Path, on: dt.date, **options: bool) -> Plan:
    plan, _ = plan_import(
        kind, data, file_name="f.csv", effective=on, folder=rules / "tables", **options
    )
    return plan


def test_a_release_with_the_values_on_file_changes_nothing(rules: Path):
    plan = planned(TableKind.PPRRVU, (CMS / "PPRRVU2025_Oct.csv").read_bytes(), rules, OCT_2025)
    assert plan.changes == [] and plan.unchanged == 20 and plan.out_of_scope == 1


def test_a_new_value_starts_on_its_date_and_the_old_one_ends_the_day_before(rules: Path):
    before = load_rule_set(rules).version
    plan = planned(TableKind.PPRRVU, SAMPLE.read_bytes(), rules, OCT_2026, illustrative=True)
    assert [(c.kind, c.key, c.what) for c in plan.changes] == [
        (ChangeKind.CHANGED, "90853", "Non-Facility PE RVU 0.22 → 0.26")
    ]
    apply(plan, rules / "tables")
    rule_set = load_rule_set(rules)
    new, old = (
        rule_set.tables.rvu_for("90853", day) for day in (OCT_2026, OCT_2026 - dt.timedelta(days=1))
    )
    assert new is not None and old is not None
    assert (new.pe_non_facility, new.illustrative, new.ends) == (
        D("0.26"),
        True,
        dt.date(2026, 12, 31),
    )
    assert (old.pe_non_facility, old.ends) == (D("0.22"), dt.date(2026, 9, 30))
    assert "effective 2026-10-01" in new.source
    assert rule_set.version != before
    log = (rules / "tables" / "imports.csv").read_text()
    assert "pprrvu,f.csv," in log and ",2026-10-01,0,0,1" in log
    # the same file again: nothing left to change
    assert (
        planned(TableKind.PPRRVU, SAMPLE.read_bytes(), rules, OCT_2026, illustrative=True).changes
        == []
    )


def test_a_code_no_longer_paid_loses_its_price_and_gains_its_status(rules: Path):
    text = (CMS / "PPRRVU2025_Oct.csv").read_text(encoding="latin-1")
    text = text.replace("90853,,Group psychotherapy,A,", "90853,,Group psychotherapy,I,")
    plan = planned(TableKind.PPRRVU, text.encode("latin-1"), rules, OCT_2025)
    (change,) = plan.changes
    assert (change.kind, change.key) == (ChangeKind.REMOVED, "90853")
    assert "status not listed → I" in change.what and plan.codes == {"90853"}
    apply(plan, rules / "tables")
    tables = load_rule_set(rules).tables
    assert tables.rvu_for("90853", OCT_2025) is None
    status = tables.pfs_status_of("90853", OCT_2025)
    assert status is not None and status.status is PfsStatus.NOT_VALID
    assert tables.rvu_for("90853", OCT_2025 - dt.timedelta(days=1)) is not None


def test_the_ptp_file_replaces_the_illustrative_pairs(rules: Path):
    plan = planned(TableKind.NCCI_PTP, (CMS / "ccipra-v313r0-f1.txt").read_bytes(), rules, OCT_2025)
    assert plan.count(ChangeKind.REMOVED) == 10 and plan.count(ChangeKind.CHANGED) == 6
    apply(plan, rules / "tables")
    tables = load_rule_set(rules).tables
    kept = tables.ptp_edit("90853", "90832", OCT_2025)
    assert kept is not None and not kept.illustrative
    assert tables.ptp_edit("90853", "90833", OCT_2025) is None  # not in the file
    assert tables.ptp_edit("99213", "93000", OCT_2025) is None  # outside the scope


def test_an_mue_starts_on_the_quarter_and_a_code_left_out_has_none_after(rules: Path):
    data = (CMS / "MCR_MUE_PractitionerServices_Eff_10-01-2025.csv").read_bytes()
    apply(planned(TableKind.MUE, data, rules, OCT_2025), rules / "tables")
    tables = load_rule_set(rules).tables
    now, before = tables.mue_for("90832", OCT_2025), tables.mue_for("90832", dt.date(2025, 9, 30))
    assert now is not None and before is not None and (now.units, before.units) == (2, 1)
    assert tables.mue_for("90834", OCT_2025) is None
    assert tables.mue_for("90834", dt.date(2025, 9, 30)) is not None


def test_code_lists_add_new_codes_and_keep_the_categories(rules: Path):
    apply(
        planned(TableKind.CARC, (CMS / "carc.csv").read_bytes(), rules, OCT_2026), rules / "tables"
    )
    apply(
        planned(TableKind.RARC, (CMS / "rarc.csv").read_bytes(), rules, OCT_2026), rules / "tables"
    )
    tables = load_rule_set(rules).tables
    assert tables.carc["9999"].category == "other"
    assert tables.carc["A1"].stopped == dt.date(2008, 1, 1)
    assert tables.carc["4"].category == "coding"  # the category ClaimGuard gave it stays
    assert set(tables.rarc) == {"MA15", "MA18", "N130"}


def test_gpci_and_localities_are_keyed_by_mac_and_locality(rules: Path):
    from rules import fees
    from rules.codes import Credential

    start = dt.date(2025, 1, 1)
    apply(
        planned(TableKind.GPCI, (CMS / "GPCI2025.csv").read_bytes(), rules, start), rules / "tables"
    )
    apply(
        planned(TableKind.LOCALITY, (CMS / "25LOCCO.csv").read_bytes(), rules, start),
        rules / "tables",
    )
    tables = load_rule_set(rules).tables
    austin = tables.gpci_for("04412-31", dt.date(2025, 6, 1))
    assert austin is not None and austin.pe == D("1.010")
    assert tables.localities["04412-99"].counties == "ALL OTHER COUNTIES"
    # (0.65 x 1.000 + 0.20 x 1.010 + 0.02 x 0.950) x 32.3465 = 28.17; national 28.14
    day = dt.date(2025, 6, 1)
    local = fees.medicare_amount(tables, "90853", "11", Credential.PHD, day, "04412-31")
    national = fees.medicare_amount(tables, "90853", "11", Credential.PHD, day)
    assert local is not None and national is not None
    assert (local.amount, national.amount) == (D("28.17"), D("28.14"))
    assert "GPCI 04412-31" in local.detail


def test_a_zip_is_refused_with_what_to_do(rules: Path):
    with pytest.raises(LayoutError, match="unzip CMS's download"):
        planned(TableKind.PPRRVU, b"PK\x03\x04rest", rules, OCT_2026)


def test_a_ptp_part_speaks_only_for_its_column_1_range(rules: Path):
    """CMS ships the practitioner file in parts by Column 1: a part holding 90853 pairs only
    leaves the 90791, 90832 and 90839 pairs in force."""
    lines = (CMS / "ccipra-v313r0-f1.txt").read_text(encoding="latin-1").splitlines()
    part = "\n".join(lines[:6] + [ln for ln in lines[6:] if ln.startswith("90853")])
    plan = planned(TableKind.NCCI_PTP, part.encode(), rules, OCT_2025)
    removed = {c.key for c in plan.changes if c.kind is ChangeKind.REMOVED}
    assert removed == {f"90853/{c} from 2014-10-01" for c in ("90833", "90836", "90838")}
    apply(plan, rules / "tables")
    tables = load_rule_set(rules).tables
    assert tables.ptp_edit("90839", "90785", OCT_2025) is not None  # outside the part: kept


def test_a_refused_row_is_not_a_code_left_out(rules: Path):
    text = (CMS / "PPRRVU2025_Oct.csv").read_text(encoding="latin-1")
    text = text.replace(
        "90853,,Group psychotherapy,A,,0.65,", "90853,,Group psychotherapy,A,,0.6x,"
    )
    plan, read = plan_import(TableKind.PPRRVU, text.encode("latin-1"), file_name="f.csv",
                             effective=OCT_2025, folder=rules / "tables")  # fmt: skip
    assert len(read.refused) == 1 and plan.changes == []
    assert any("1 row(s) refused: no code the file leaves out was removed" in n for n in plan.notes)


def test_a_new_value_never_prices_a_gap_the_old_rows_left():
    from tasks.reference.update import period_end

    rows = [
        {"Effective Date": "2025-01-01", "End Date": "2025-06-30"},
        {"Effective Date": "2026-01-01", "End Date": ""},
    ]
    assert period_end(rows, dt.date(2025, 3, 1)) == "2025-06-30"
    assert period_end(rows, dt.date(2025, 9, 1)) == "2025-12-31"
    assert period_end(rows, dt.date(2026, 3, 1)) == ""


def test_an_older_code_list_does_not_replace_a_newer_one(rules: Path):
    data = (CMS / "rarc.csv").read_bytes()
    apply(planned(TableKind.RARC, data, rules, OCT_2026), rules / "tables")
    with pytest.raises(LayoutError, match="an older list would replace a newer one"):
        planned(TableKind.RARC, data, rules, OCT_2025)
