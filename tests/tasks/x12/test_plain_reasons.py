"""pyx12's messages reach a biller reworded: what was expected and what was found, with no
library phrasing and no value from a segment that names or locates a person."""

from __future__ import annotations

import pytest

from tasks.x12.plain import BY_CODE, WORDINGS, Wording, reword

# pyx12's own phrasing: none of it may reach a user.
JARGON = ("My HL count", "Map not found", "icvn", "pyx12", "Started at", "I count", "Your 2400")


@pytest.mark.parametrize("wording", WORDINGS, ids=lambda w: w.example[:40])
def test_each_wording_rewords_the_message_it_was_written_for(wording: Wording):
    first = next(w for w in WORDINGS if w.pattern.match(wording.example))
    assert first is wording, "an earlier wording takes this message"
    plain = reword(wording.example, segment="CLM", code="8", level="element")
    said = f"{plain.expected} {plain.found}"
    assert plain.expected != BY_CODE and plain.expected and plain.found
    assert not any(word in said for word in JARGON)


@pytest.mark.parametrize(
    ("message", "segment", "value"),
    [
        ('Data element "Subscriber Birth Date" (DMG02) contains an invalid date (19800532)',
         "DMG", "19800532"),
        ("(QZ) is not a valid code for State or Province Code (N402)", "N4", "QZ"),
        ('Data element "Name First" (NM104) is type AN, contains an invalid character(ANN\x02)',
         "NM1", "ANN"),
    ],
)  # fmt: skip
def test_a_value_in_a_persons_segment_is_described_not_repeated(message, segment, value):
    plain = reword(message, segment=segment, code="7", level="element")
    assert value not in f"{plain.expected} {plain.found}"
    assert "characters" in plain.found


def test_a_code_outside_a_persons_segment_is_shown():
    plain = reword("(XX) is not a valid code for Diagnosis Type Code (HI02-01)", segment="HI",
                   code="7", level="element")  # fmt: skip
    assert plain == type(plain)("HI02-01 (diagnosis type code) from its code list",
                                "XX, which is not on it")  # fmt: skip


def test_a_message_no_wording_knows_is_said_by_its_x12_code():
    plain = reword("Something pyx12 4.1 may say one day", segment="CLM", code="7",
                   level="element")  # fmt: skip
    assert (plain.expected, plain.found) == (BY_CODE, "a code not valid for the element")


def test_a_cut_off_piece_where_a_segment_id_should_be_is_never_repeated():
    """A stray terminator inside NM1*IL*1*DOE~SAM leaves 'SAM' where an id should be."""
    plain = reword('Segment identifier "SAM" is invalid', segment="(unrecognised)", code="1",
                   level="segment")  # fmt: skip
    assert "SAM" not in plain.expected + plain.found and plain.found.startswith("3 characters")
