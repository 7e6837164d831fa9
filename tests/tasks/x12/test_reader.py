"""A read transaction set: walked as often as asked, and kept at about the size of its text."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from tasks.synthetic.generator import GeneratorConfig, generate
from tasks.synthetic.x12gen import write_claims
from tasks.x12.reader import X12FileError, read

FIXTURES = Path(__file__).parents[2] / "fixtures" / "x12"


@pytest.fixture(scope="module")
def generated_837(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("x12")
    generate(GeneratorConfig(seed=3, claims=600), folder)
    write_claims(folder, seed=3)
    return max(folder.glob("*.837"), key=lambda p: p.stat().st_size).read_bytes()


def _walk(document) -> list[tuple[int, str, str, str]]:
    return [(s.line, s.loop, s.id, s.text()) for tx in document.sets for s in tx.segments]


def test_a_sets_segments_are_the_same_each_time_they_are_walked(generated_837: bytes):
    document = read(generated_837)
    first = _walk(document)
    assert first == _walk(document)
    # Every line of the file between ST and SE, once, in order, each with its loop.
    lines = [line for line, *_ in first]
    assert lines == sorted(set(lines))
    assert {seg_id for _, _, seg_id, _ in first} >= {"ST", "BHT", "NM1", "CLM", "SV1", "SE"}
    assert {loop for _, loop, _, _ in first} >= {"2300", "2400"}


def test_a_segment_keeps_its_elements_and_components(generated_837: bytes):
    (tx, *_) = read(generated_837).sets
    clm = next(s for s in tx.segments if s.id == "CLM")
    text = clm.text().rstrip("~").split("*")
    assert clm.get("01") == text[1] and clm.get("02") == text[2]
    place, qualifier, frequency = text[5].split(":")
    assert (clm.get("05-1"), clm.get("05-2"), clm.get("05-3")) == (place, qualifier, frequency)
    assert clm.get("05") == text[5] and clm.get("40") == ""


def test_a_read_document_crosses_to_another_process_at_about_its_text_size(
    generated_837: bytes,
):
    """What a read-ahead worker sends back is its sets' values, not an object per segment."""
    document = read(generated_837)
    sent = pickle.dumps(document)
    assert len(sent) < 1.4 * len(generated_837)
    assert _walk(pickle.loads(sent)) == _walk(document)


def test_a_set_cut_off_in_the_middle_ends_at_its_last_segment():
    text = (FIXTURES / "demo.example1.837").read_bytes()
    cut = text[: text.index(b"SE*")]
    (tx,) = read(cut).sets
    assert not tx.valid
    last = tx.segments[-1].line
    assert any(e.segment == "SE" and e.line == last and "cut off" in e.message for e in tx.errors)


VALID_837 = Path(__file__).parents[2] / "corpus" / "x12" / "837-valid.837"
PLANTED = ("QUINTANILLA", "JANE", "M987654321", "19800501", "BOULEVARD", "anxious")


@pytest.mark.parametrize(
    ("find", "put"),
    [
        # A claim note longer than NTE02 allows, naming the patient.
        (
            "CLM*CLX-1*95***11:B:1*Y*A*Y*Y~",
            "CLM*CLX-1*95***11:B:1*Y*A*Y*Y~NTE*ADD*Patient JANE QUINTANILLA DOB 19800501 "
            "member M987654321 said she felt anxious all week~",
        ),
        # An address with spaces, too long for N301.
        (
            "NM1*IL*1*DOE*SAM****MI*M123456789~N3*1 MAIN ST~",
            "NM1*IL*1*DOE*SAM****MI*M123456789~N3*4711 QUINTANILLA BOULEVARD APARTMENT 12 "
            "BUILDING C BY THE MILL~",
        ),
        # A name split by a stray segment terminator.
        (
            "NM1*IL*1*DOE*SAM****MI*M123456789~",
            "NM1*IL*1*DOE~QUINTANILLA*JANE****MI*M987654321~",
        ),
    ],
    ids=["long-note", "long-address", "stray-terminator"],
)
def test_errors_never_echo_what_identifies_a_person(find: str, put: str):
    """pyx12's messages quote the values it refuses; none of them reaches an error here."""
    text = VALID_837.read_text().replace("~\n", "~")
    assert find in text
    try:
        document = read(text.replace(find, put, 1).encode())
    except X12FileError as error:
        said = [str(error)]
    else:
        said = [e.describe() for s in document.sets for e in (*s.errors, *s.envelope_errors)]
    assert said, "pyx12 found the fault"
    assert [word for word in PLANTED if any(word in line for line in said)] == [], said


def _835_with_remark(folder: Path, remark: str) -> bytes:
    import datetime as dt
    from decimal import Decimal as D

    from tasks.x12 import write as w

    line = w.PaidLine("90853", [], D("95"), D("60"), D(1), dt.date(2026, 8, 4),
                      [w.Cas("CO", "45", D("35"))], "1", D("60"), [], None)  # fmt: skip
    claim = w.PaidClaim("CL1", "1", D("95"), D("60"), D(0), "12", "ICN1",
                        w.Person("PART", "ONE", "M1"), [line], remarks=[remark])  # fmt: skip
    payment = w.Payment(w.Person("PAYER", id="p1"), w.Person("PRACTICE", id="1234567893"),
                        "TR1", dt.date(2026, 8, 20), [claim])  # fmt: skip
    path = w.write_interchange(folder / f"{remark}.835", [w.payment_set(payment)], sender="P1",
                               receiver="CG", control=1, created=dt.datetime(2026, 1, 1, 8),
                               functional_id="HP", version="005010X221A1")  # fmt: skip
    return path.read_bytes()


def test_ma15_marking_a_split_claim_is_not_a_code_list_error(tmp_path: Path):
    """pyx12 4.0's remark list lacks MA15, which the 5010 guide requires on each part of a
    split claim; a remark code on no list at all is still an error."""
    assert all(tx.valid for tx in read(_835_with_remark(tmp_path, "MA15")).sets)
    (tx,) = read(_835_with_remark(tmp_path, "ZZ99")).sets
    assert [(e.segment, e.element) for e in tx.errors] == [("MOA", "MOA03")]
