"""No X12 file crashes the reader: whatever pyx12 or the mappers raise, the file (or the set,
or the claim) is refused with where reading stopped, its row is closed, and the next file is
read. `make fuzz` runs the mutation test thousands of times; `make test` runs a sample."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from tasks.db import models as m
from tasks.db.session import session_scope
from tasks.inbox import load_paths
from tasks.x12.reader import X12FileError, read

FIXTURES = Path(__file__).parents[2] / "fixtures" / "x12"
CORPUS = Path(__file__).parents[2] / "corpus" / "x12"
SAMPLES = [
    CORPUS / "837-valid.837",
    CORPUS / "835-valid.835",
    FIXTURES / "demo.example1.837",
    FIXTURES / "medicare-part-a.835",
]
FIVE_POINTERS = b"SV1*HC:H0003*20*UN*1***1:2:3:4:1~"
# pyx12 reads a small file in 40-150 ms: a sample here, thousands under `make fuzz`.
EXAMPLES = int(os.environ.get("CLAIMGUARD_FUZZ_EXAMPLES", "25"))


@pytest.mark.parametrize("pointers", range(5, 13))
def test_a_composite_longer_than_pyx12_can_read_is_an_error_of_its_segment(pointers: int):
    """pyx12 4 raises IndexError on an SV107 of five or more diagnosis pointers (on any
    composite longer than its map allows): the segment is cut before pyx12 reads it and
    the error is ClaimGuard's, on that segment alone."""
    valid = (CORPUS / "837-valid.837").read_bytes()
    sv1 = b"SV1*HC:90853*95*UN*1***" + b":".join([b"1"] * pointers) + b"~"
    (tx,) = read(valid.replace(b"SV1*HC:90853*95*UN*1***1~", sv1)).sets
    (error,) = tx.errors
    assert (error.element, error.ordinal) == ("SV107", 29)
    assert error.message == f"expected SV107 with at most 4 components; found {pointers} components"


def test_a_claim_pyx12_could_not_read_is_refused_and_the_next_file_loads(
    sqlite_db: Engine, tmp_path: Path
):
    """The claim with five diagnosis pointers is refused, its file's row closed, and the
    file after it is read."""
    valid = (CORPUS / "837-valid.837").read_bytes()
    broken = valid.replace(b"SV1*HC:90853*95*UN*1***1~", FIVE_POINTERS)
    assert broken != valid
    (tmp_path / "a-broken.837").write_bytes(broken)
    (tmp_path / "b-valid.837").write_bytes(valid)
    first, second = load_paths(sqlite_db, [tmp_path])
    assert (first.records_in, first.quarantined, first.reconciles) == (1, 1, True)
    assert second.loaded >= 1 and second.quarantined == 0
    with session_scope(sqlite_db) as session:
        rows = session.scalars(select(m.IntakeFile).order_by(m.IntakeFile.id)).all()
        reasons = session.scalars(select(m.IntakeQuarantine.reasons)).one()
    assert all(row.finished_at is not None for row in rows)
    assert reasons == [
        {
            "field": "SV107 (segment 29, line 29, column 1)",
            "expected": "SV107 with at most 4 components",
            "found": "5 components",
        }
    ]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A sample with segments dropped, repeated, swapped or cut, elements changed,
    delimiters replaced, or bytes inserted."""
    data = draw(st.sampled_from(SAMPLES)).read_bytes()
    segments = data.split(b"~")
    for _ in range(draw(st.integers(1, 3))):
        if not segments:
            break
        at = draw(st.integers(0, len(segments) - 1))
        action = draw(st.sampled_from(["drop", "repeat", "swap", "cut", "element", "bytes"]))
        if action == "drop":
            del segments[at]
        elif action == "repeat":
            segments.insert(at, segments[at])
        elif action == "swap":
            other = draw(st.integers(0, len(segments) - 1))
            segments[at], segments[other] = segments[other], segments[at]
        elif action == "cut":
            segments[at] = segments[at][: draw(st.integers(0, len(segments[at])))]
        elif action == "element":
            elements = segments[at].split(b"*")
            spot = draw(st.integers(0, len(elements) - 1))
            elements[spot] = draw(st.binary(max_size=12))
            segments[at] = b"*".join(elements)
        else:
            segments[at] = segments[at] + draw(st.binary(min_size=1, max_size=8))
    out = b"~".join(segments)
    if draw(st.booleans()):
        old, new = draw(st.sampled_from([(b"*", b"|"), (b":", b"^"), (b"~", b"\n")]))
        out = out.replace(old, new)
    return out


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated())
def test_a_mutated_file_is_read_or_refused_never_raised(data: bytes):
    try:
        document = read(data)
    except X12FileError as error:
        assert str(error)  # refused, with a reason
        return
    assert all(s.control_number is not None for s in document.sets)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_sample_still_reads(sample: Path):
    """The net catches only what broke: the samples read as before."""
    assert read(sample.read_bytes()).sets
