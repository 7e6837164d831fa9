"""What other systems' translators write is read: a byte-order mark, blanks and line ends
around segments, several interchanges, a newline as the terminator, bytes after IEA; what
cannot be read is refused in one plain sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.x12.reader import X12FileError, read

VALID = (Path(__file__).parents[2] / "corpus" / "x12" / "837-valid.837").read_text()
ONE_LINE = VALID.replace("~\n", "~")


def _valid_sets(text: str | bytes) -> int:
    document = read(text if isinstance(text, bytes) else text.encode("latin-1"))
    assert all(s.valid for s in document.sets), [
        e.describe() for s in document.sets for e in (*s.errors, *s.envelope_errors)
    ]
    return len(document.sets)


@pytest.mark.parametrize(
    "text",
    [
        b"\xef\xbb\xbf" + ONE_LINE.encode(),  # a UTF-8 byte-order mark
        ONE_LINE.replace("~", "~\r\n"),  # CRLF after each terminator
        ONE_LINE.replace("~", "~\n    ").rstrip(),  # indented segments
        ONE_LINE[:105] + "\n" + ONE_LINE[106:].replace("~", "\n"),  # a newline as terminator
    ],
    ids=["bom", "crlf", "indented", "newline-terminator"],
)
def test_a_translators_layout_reads_as_the_plain_file(text: str | bytes):
    assert _valid_sets(text) == 1


def test_several_interchanges_in_one_file_are_each_read():
    second = (
        ONE_LINE.replace("000000101", "000000102")
        .replace("*101*", "*102*")
        .replace("GE*1*101", "GE*1*102")
    )
    assert _valid_sets(ONE_LINE + "\n" + second + ONE_LINE) == 3


def test_bytes_after_the_last_iea_are_ignored_with_a_note():
    document = read((ONE_LINE + "\x00\x1b[31mjunk from the modem").encode("latin-1"))
    assert [s.valid for s in document.sets] == [True]
    assert document.notes == ["25 characters after the last IEA were ignored"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            ONE_LINE.replace("ST*837", "st*837").replace("SE*", "se*"),
            "no transaction set (ST to SE) could be found in it",
        ),
        (
            ONE_LINE.replace("*          *00*", "*00*", 1),
            "its ISA segment is not the fixed 106 characters X12 requires",
        ),
        (
            ONE_LINE.replace("*00501*", "*00401*", 1).replace("005010X222A1", "004010X098A1"),
            "this is an X12 4010 file; ClaimGuard reads 5010",
        ),
    ],
    ids=["lowercase-ids", "isa-not-padded", "version-4010"],
)
def test_what_cannot_be_read_is_refused_in_plain_words(text: str, said: str):
    with pytest.raises(X12FileError) as refused:
        read(text.encode("latin-1"))
    assert said in str(refused.value)


@pytest.mark.parametrize(
    ("layout", "where"),
    [
        (lambda t: t, lambda t: (1, t.index("HI*") + 1)),  # all on one line
        (lambda t: t.replace("~", "~\r\n    "), lambda t: (22, 5)),  # CRLF, indented
        (lambda t: "\n\n" + t.replace("~", "~\n"), lambda t: (24, 1)),  # blank lines first
    ],
    ids=["one-line", "crlf-indented", "blank-lines-first"],
)
def test_an_error_says_its_line_and_column_as_an_editor_counts_them(layout, where):
    broken = ONE_LINE.replace("HI*ABK:F331", "HI*ABK")
    (tx,) = read(layout(broken).encode()).sets
    (error,) = [e for e in tx.errors if e.element == "HI01-02"]
    assert (error.ordinal, (error.line, error.column)) == (22, where(broken))


def test_an_isa_with_control_bytes_in_its_fields_is_refused_not_raised():
    """Found by `make fuzz`: NULs widening ISA02 once made splitting the file fail."""
    with pytest.raises(X12FileError, match="could not be read past its start"):
        read(VALID.replace("ISA*00*", "ISA*\x00\x00\x00\x00*", 1).encode("latin-1"))


def _delimited(text: str, element: str, component: str, terminator: str) -> str:
    """`text` written with other delimiters (the ISA declares them: ISA16 and position 105)."""
    out = text.replace("*", "\x01").replace(":", "\x02").replace("~", "\x03")
    isa_end = out.index("\x03")
    out = out[: isa_end - 1] + component + out[isa_end:]  # ISA16 is the component separator
    return out.replace("\x01", element).replace("\x02", component).replace("\x03", terminator)


@pytest.mark.parametrize(
    ("element", "component", "terminator"),
    [("|", ">", "~"), ("^", "\\", "'"), ("*", ":", "\n")],
)
def test_any_delimiters_the_isa_declares_are_read(element, component, terminator):
    """A valid file, and one whose SV107 has six pointers (refused on its segment alone)."""
    # ISA11, the repetition separator, is '^' in the valid file: keep it apart from the rest.
    text = VALID.replace("*^*00501*", "*!*00501*").replace("~\n", "~")
    assert _valid_sets(_delimited(text, element, component, terminator)) == 1
    pointers = text.replace("SV1*HC:90853*95*UN*1***1~", "SV1*HC:90853*95*UN*1***1:2:1:2:1:2~")
    (tx,) = read(_delimited(pointers, element, component, terminator).encode("latin-1")).sets
    assert [(e.element, e.plain.found) for e in tx.errors] == [("SV107", "6 components")]
