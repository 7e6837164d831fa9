"""CMS and X12 reference files read in their published layouts (tests/fixtures/cms)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from rules.tables import PfsStatus
from tasks.reference import layouts as lay

CMS = Path(__file__).parents[2] / "fixtures" / "cms"


def text(name: str) -> str:
    return (CMS / name).read_bytes().decode("latin-1")


def test_the_pprrvu_stacked_header_is_read_and_global_rows_kept():
    read = lay.read_pprrvu(text("PPRRVU2025_Oct.csv"))
    records = {r.code: r for _, r in read.records}
    # 93000-26 is a professional-component row: a note, not a record
    assert (len(read.records), read.notes, read.refused) == (21, 1, [])
    group = records["90853"]
    assert (group.status, group.work, group.pe_non_facility, group.pe_facility, group.malpractice) == (
        PfsStatus.ACTIVE, D("0.65"), D("0.20"), D("0.08"), D("0.02"),
    )  # fmt: skip
    assert group.conversion_factor == D("32.3465")
    assert records["90863"].not_used_for_payment and records["90863"].status is PfsStatus.NOT_VALID
    assert records["90846"].status is PfsStatus.RESTRICTED
    assert records["H2019"].status is PfsStatus.NOT_VALID


def test_a_bad_cell_refuses_its_row_with_the_line_and_column_and_the_rest_is_read():
    lines = text("PPRRVU2025_Oct.csv").splitlines()
    lines[10] = lines[10].replace(",0.33,", ",0.3x,", 1)  # 90785's WORK RVU, line 11
    read = lay.read_pprrvu("\n".join(lines))
    assert read.refused == [lay.Refused(11, "WORK RVU '0.3x' is not a number")]
    assert len(read.records) == 20


@pytest.mark.parametrize(
    ("reader", "name", "said"),
    [
        (lay.read_pprrvu, "GPCI2025.csv", "PPRRVU: no data row"),
        (lay.read_ptp, "PPRRVU2025_Oct.csv", "NCCI PTP: expected the tab-delimited .txt"),
        (lay.read_mue, "ccipra-v313r0-f1.txt", "MUE: no header starting 'HCPCS/CPT Code'"),
        (lay.read_gpci, "25LOCCO.csv", "GPCI: no header row"),
    ],
)
def test_a_file_of_another_kind_is_refused_whole_naming_what_was_looked_for(reader, name, said):
    with pytest.raises(lay.LayoutError, match=said):
        reader(text(name))


def test_ptp_rows_carry_their_dates_and_indicator():
    read = lay.read_ptp(text("ccipra-v313r0-f1.txt"))
    first = {(r.column_1, r.column_2): (line, r) for line, r in read.records}
    line, old = first[("90832", "90853")]
    assert line == 10  # data starts on line 7
    assert (old.effective, old.deleted, old.modifier_indicator) == (
        dt.date(2013, 1, 1), dt.date(2014, 9, 30), "1",
    )  # fmt: skip
    assert first[("90853", "90832")][1].deleted is None


def test_mue_latin1_notice_and_broken_header_cell_are_read():
    read = lay.read_mue(text("MCR_MUE_PractitionerServices_Eff_10-01-2025.csv"))
    line, first = read.records[0]
    # the notice spans lines 1-3, the header 4-5: the first code is on line 6
    assert (line, first.code, first.units, first.adjudication[:1]) == (6, "90853", 1, "2")


def test_gpci_keys_are_zero_padded_and_footer_notes_skipped():
    read = lay.read_gpci(text("GPCI2025.csv"))
    keys = {r.key: r for _, r in read.records}
    assert set(keys) == {"04412-31", "04412-99", "11302-00", "02102-01"}
    assert keys["02102-01"].name == "ALASKA" and keys["02102-01"].work == D("1.500")
    assert read.notes == 2


def test_locco_carries_the_state_down_to_the_rows_that_leave_it_blank():
    records = [r for _, r in lay.read_localities(text("25LOCCO.csv")).records]
    assert [(r.key, r.state, r.area) for r in records] == [
        ("04412-31", "TEXAS", "AUSTIN"),
        ("04412-99", "TEXAS", "REST OF TEXAS"),
        ("11302-00", "VIRGINIA", "VIRGINIA"),
    ]


def test_a_code_list_reads_start_and_stop_dates():
    records = {r.code: r for _, r in lay.read_code_list(text("carc.csv"), what="CARC").records}
    assert records["A1"].stop == dt.date(2008, 1, 1) and records["4"].stop is None
    assert records["4"].start == dt.date(1995, 1, 1)
