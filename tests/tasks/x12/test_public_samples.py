"""The public X12 samples (tests/fixtures/x12, see SOURCES.md): valid ones load and balance,
malformed ones are quarantined with pyx12's reason; nothing is lost and counts reconcile."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.inbox import load_file
from tasks.remit.post import post_file
from tasks.x12.reader import X12FileError, read

FIXTURES = Path(__file__).parents[2] / "fixtures" / "x12"
VALID_837 = [
    "X222-commercial-health-insurance.edi",
    "demo.example1.837",
    "demo.cob.example3.B.837",
    "demo.example7.837",
]
INVALID_835 = {
    # file: (a segment pyx12 names, its line)
    "secondary-payment.835": ("SVC", 29),
    "cob-contractural-adjustment.835": ("SVC", 21),
    "tertiary-payment.835": ("SVC", 20),
}
# Balanced, with faults that leave the money readable: posted, the faults kept as warnings.
WARNED_835 = {"medicare-part-a.835": ("TS3", 13)}


def _quarantine_reasons(engine: Engine, path: Path) -> list[list[dict[str, str]]]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(m.IntakeQuarantine.reasons).where(
                    m.IntakeQuarantine.source_path == str(path)
                )
            )
        )


class TestReading:
    @pytest.mark.parametrize("name", [*VALID_837, "835_mult_loops.txt"])
    def test_valid_samples_pass_pyx12(self, name):
        """Files pyx12 accepts (A2 837s read with the A1 map) have no validation error."""
        document = read((FIXTURES / name).read_bytes())
        assert document.sets and all(s.valid for s in document.sets)

    def test_a2_files_say_they_were_read_as_a1(self):
        """Reading an X222A2 file as A1 is recorded, not hidden."""
        document = read((FIXTURES / "demo.example1.837").read_bytes())
        assert any("005010X222A2" in note for note in document.notes)

    @pytest.mark.parametrize(("name", "where"), {**INVALID_835, **WARNED_835}.items())
    def test_malformed_835s_fail_with_segment_and_line(self, name, where):
        """pyx12's errors name the segment and the line, so a person can find them."""
        (tx,) = read((FIXTURES / name).read_bytes()).sets
        segment, line = where
        assert not tx.valid
        assert any(e.segment == segment and e.line == line for e in tx.errors)

    def test_x12_valid_txt_fails_on_its_counts(self):
        """imsweb's 'valid' file has a wrong SE count and malformed HI: pyx12 finds them."""
        (tx,) = read((FIXTURES / "x12_valid.txt").read_bytes()).sets
        messages = " ".join(e.message for e in tx.errors)
        assert "SE01 giving the set's 34 segments; found 25" in messages
        assert any(e.element == "HI01-02" for e in tx.errors)

    def test_a_file_without_an_envelope_is_refused_whole(self):
        with pytest.raises(X12FileError, match="starts with an ISA segment"):
            read((FIXTURES / "blue_cross_nc_sample.txt").read_bytes())


class TestLoading837:
    @pytest.mark.parametrize("name", VALID_837)
    def test_every_claim_is_loaded_or_quarantined_with_its_reason(self, sqlite_db, name):
        """The TR3 example claims carry ICD-9 codes: each is quarantined, named, and counted."""
        report = load_file(sqlite_db, FIXTURES / name)
        assert report.reconciles and report.records_in >= 1
        reasons = _quarantine_reasons(sqlite_db, FIXTURES / name)
        assert len(reasons) == report.quarantined
        assert all(any("ICD-9" in r["found"] for r in rs) for rs in reasons)

    def test_a_set_that_fails_validation_is_quarantined_with_pyx12_errors(self, sqlite_db):
        path = FIXTURES / "x12_valid.txt"
        report = load_file(sqlite_db, path)
        assert (report.records_in, report.quarantined) == (1, 1)
        (reasons,) = _quarantine_reasons(sqlite_db, path)
        assert any(r["field"] == "SE (segment 36, line 36, column 1)" for r in reasons)

    def test_an_835_given_to_claim_intake_is_refused_with_the_right_command(self, sqlite_db):
        path = FIXTURES / "835_mult_loops.txt"
        report = load_file(sqlite_db, path)
        assert report.quarantined == 1
        (reasons,) = _quarantine_reasons(sqlite_db, path)
        assert "claimguard remit load" in reasons[0]["found"]


class TestPosting835:
    def test_the_valid_835_posts_balances_and_queues_what_is_not_ours(self, sqlite_db):
        """pyx12's own sample: one payment, balanced; its claim is not in this database."""
        report = post_file(sqlite_db, FIXTURES / "835_mult_loops.txt")
        assert (report.sets_in, report.posted, report.quarantined) == (1, 1, 0)
        assert report.unbalanced == []
        assert report.claims == {"unmatched": 1} and report.lines == {"unmatched": 3}
        with session_scope(sqlite_db) as session:
            payment = session.scalars(select(m.RemittancePayment)).one()
            assert payment.balanced and payment.trace_number == "000000000"
            reason = session.scalars(select(m.RemittanceClaim.unmatched_reason)).one()
            assert reason and "no claim" in reason
            remarks = session.scalars(select(m.RemittanceLine.remark_codes)).all()
            assert all(r == ["N14"] for r in remarks)

    @pytest.mark.parametrize("name", INVALID_835)
    def test_malformed_835s_are_quarantined_not_posted(self, sqlite_db, name):
        report = post_file(sqlite_db, FIXTURES / name)
        assert (report.posted, report.quarantined) == (0, 1) and report.reconciles
        reasons = _quarantine_reasons(sqlite_db, FIXTURES / name)
        segment, line = INVALID_835[name]
        assert reasons and any(
            r["field"].startswith(segment)
            and r["field"].endswith(f"(segment {line}, line {line}, column 1)")
            for r in reasons[0]
        )
        said = " ".join(r["expected"] + r["found"] for r in reasons[0])
        assert "not found" not in said and "pyx12" not in said
        with session_scope(sqlite_db) as session:
            assert session.scalar(select(func.count()).select_from(m.RemittancePayment)) == 0

    @pytest.mark.parametrize("name", WARNED_835)
    def test_balanced_835s_with_faults_outside_the_money_are_posted_with_warnings(
        self, sqlite_db, name
    ):
        report = post_file(sqlite_db, FIXTURES / name)
        assert (report.posted, report.quarantined, report.warned) == (1, 0, 1)
        with session_scope(sqlite_db) as session:
            payment = session.scalars(select(m.RemittancePayment)).one()
        segment, line = WARNED_835[name]
        assert payment.balanced and payment.warnings
        assert any(
            f"segment {segment} element" in w and f"line {line}," in w for w in payment.warnings
        )
        assert any("PER segment (payer technical contact" in w for w in payment.warnings)

    def test_an_envelope_less_file_is_quarantined_whole(self, sqlite_db):
        report = post_file(sqlite_db, FIXTURES / "blue_cross_nc_sample.txt")
        assert (report.sets_in, report.quarantined) == (1, 1) and report.reconciles


# More public files (tests/fixtures/x12/SOURCES.md): each claim loads or is refused on its
# own with its reason; each payment is posted, counted as sent again, or refused with why.
MORE_837 = {
    # file: (what load says of its claims, a reason every refused claim gives)
    "sample.txt": ("8 claims: 0 loaded, 8 refused", "ICD-9"),
    "837.edi": ("1 claim: 0 loaded, 1 refused", "service dates on or before claim_date"),
    "demo.example2.837": ("1 claim: 0 loaded, 1 refused", "ICD-9"),
}


@pytest.mark.parametrize(("name", "expected"), MORE_837.items())
def test_more_public_837s_are_refused_claim_by_claim(sqlite_db, name, expected):
    said, reason = expected
    report = load_file(sqlite_db, FIXTURES / name)
    assert report.claims_said() == said and report.reconciles
    reasons = _quarantine_reasons(sqlite_db, FIXTURES / name)
    assert all(any(reason in r["expected"] + r["found"] for r in rs) for rs in reasons)


def test_a_payment_on_one_line_sent_twice_posts_once(sqlite_db):
    report = post_file(sqlite_db, FIXTURES / "oneLine-2-ISA.edi")
    assert (report.sets_in, report.posted, report.duplicates, report.quarantined) == (2, 1, 1, 0)


def test_a_balanced_payment_of_three_claims_posts_whole(sqlite_db):
    report = post_file(sqlite_db, FIXTURES / "profee.edi")
    assert (report.posted, report.quarantined, report.warned) == (1, 0, 0)
    assert report.claims["unmatched"] == 3 and not report.unbalanced


def test_a_reused_trace_number_refuses_the_second_payment_and_a_trailing_separator_warns(
    sqlite_db,
):
    """moov-io's two payments share TRN02 but not their amount: the second is not the first
    sent again, so it is refused (and shows as not posted), not dropped as a duplicate. The
    first has an SVC ending in a separator: posted, with a warning."""
    report = post_file(sqlite_db, FIXTURES / "sample1.txt")
    assert (report.posted, report.duplicates, report.quarantined, report.warned) == (1, 0, 1, 1)
    assert report.not_posted() == "$-6,173.40 in 1 payment(s) not posted"
    (reasons,) = _quarantine_reasons(sqlite_db, FIXTURES / "sample1.txt")
    assert reasons[0]["field"] == "TRN02" and "ask the payer" in reasons[0]["found"]
    with session_scope(sqlite_db) as session:
        (warnings,) = session.scalars(select(m.RemittancePayment.warnings)).all()
    assert warnings and "trailing separator" in warnings[0]
