"""What pyx12 says about a file, in the words a biller uses: what was expected, what was found.

Each `Wording` rewords one of pyx12's messages; `WORDINGS` holds every message the corpus and
the shared samples produce (a test runs them all). A message no wording matches is said by
its X12 error code, in the words of the 999 acknowledgement's code lists (IK304 for a
segment, IK403 for an element), so pyx12's own phrasing never reaches a user.

A value from the file is shown only when it is code-like (at most five capitals or digits)
and not in a segment that names or locates a person: pyx12 quotes values as it read them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tasks.text import printable

# Segments whose values identify a person: their values never appear in a reason.
PHI_SEGMENTS = frozenset({"NM1", "N3", "N4", "DMG", "PER", "REF", "N1", "N2"})
_CODE_LIKE = re.compile(r"[A-Z0-9]{1,5}")

# IK304: what is wrong with a segment; IK403: with an element (X12 999, 005010X231A1).
SEGMENT_CODES = {
    "1": "an unrecognised segment id",
    "2": "a segment not expected at this place",
    "3": "a required segment missing",
    "4": "a loop repeated more often than allowed",
    "5": "a segment repeated more often than allowed",
    "6": "a segment not defined for this transaction",
    "7": "a segment out of order",
    "8": "a segment whose elements have errors",
}
ELEMENT_CODES = {
    "1": "a required element missing",
    "2": "a conditionally required element missing",
    "3": "too many elements",
    "4": "an element shorter than allowed",
    "5": "an element longer than allowed",
    "6": "a character not allowed in the element",
    "7": "a code not valid for the element",
    "8": "an invalid date",
    "9": "an invalid time",
    "10": "elements present together that exclude each other",
    "12": "too many repetitions",
    "13": "too many components",
}
# What a message no wording matches expects (it is then said by its X12 error code).
BY_CODE = "what the 5010 implementation guide allows"
_TYPES = {
    "N0": "a whole number",
    "N1": "a number",
    "N2": "a number",
    "R": "a decimal number",
    "ID": "a code",
    "AN": "text",
    "DT": "a date",
    "TM": "a time",
}


@dataclass(frozen=True, slots=True)
class Plain:
    expected: str
    found: str
    missing: str = ""  # the segment or loop id a "required ... missing" error is about
    # Layout only (a trailing separator, trailing spaces): every value reads the same, so
    # it is said, never refused.
    cosmetic: bool = False


@dataclass(frozen=True, slots=True)
class Wording:
    """One pyx12 message (as a pattern) and how a biller would say it."""

    pattern: re.Pattern[str]
    say: Callable[[dict[str, str], Callable[[str], str]], Plain]
    example: str  # a message pyx12 writes, for the test and the docs


def _w(pattern: str, example: str) -> Callable[[Callable[..., Plain]], Wording]:
    def wrap(say: Callable[..., Plain]) -> Wording:
        return Wording(re.compile(pattern), say, example)

    return wrap


_ELE = r'(?:Data element|Mandatory data element|Composite|Mandatory composite) "(?P<name>[^"]*)" \((?P<ref>[A-Z0-9]{2,3}\d{2}(?:-\d{2})?)\)'


def _named(g: dict[str, str]) -> str:
    return f"{g['ref']} ({g['name'].lower()})"


@_w(_ELE + r" is missing$", 'Mandatory data element "Diagnosis Code" (HI02-02) is missing')
def _missing(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{_named(g)}, which is required here", "it is missing")


@_w(
    _ELE + r' is too short: len\("(?P<v>.*)"\) = (?P<n>\d+) < (?P<min>\d+) \(min_len\)$',
    'Data element "Claim Frequency Code" (CLM05-03) is too short: len("") = 0 < 1 (min_len)',
)
def _short(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{_named(g)} of at least {g['min']} characters", f"{g['n']} characters")


@_w(
    _ELE + r' is too long: len\("(?P<v>.*)"\) = (?P<n>\d+) > (?P<max>\d+) \(max_len\)$',
    'Data element "Name Last or Organization Name" (NM103) is too long: len("ABC") = 61 > 60 (max_len)',
)
def _long(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{_named(g)} of at most {g['max']} characters", f"{g['n']} characters")


@_w(
    _ELE + r", contains an invalid control character\((?P<v>.*)\)$",
    'Data element "Claim Submitter\'s Identifier" (CLM01), contains an invalid control character(\x07)',
)
def _control(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{_named(g)} in printable characters", "a control character")


@_w(
    _ELE + r" has unnecessary trailing spaces\. \((?P<v>.*)\)$",
    'Data element "Reference Identification" (REF02) has unnecessary trailing spaces. (X1 )',
)
def _spaces(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{_named(g)} without trailing spaces", "spaces at its end", cosmetic=True)


@_w(
    _ELE + r" contains an invalid date \((?P<v>.*)\)$",
    'Data element "Date Time Period" (DTP03) contains an invalid date (20231345)',
)
def _date(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{_named(g)} as a real date (CCYYMMDD)", value(g["v"]))


@_w(
    _ELE + r" contains an invalid time \((?P<v>.*)\)$",
    'Data element "Interchange Time" (ISA10) contains an invalid time (2599)',
)
def _time(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{_named(g)} as a real time (HHMM)", value(g["v"]))


@_w(
    _ELE + r" is type (?P<type>\w+), contains an invalid character\((?P<v>.*)\)$",
    'Data element "Monetary Amount" (CLM02) is type R, contains an invalid character(1O0)',
)
def _character(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    kind = _TYPES.get(g["type"], "a value of its type")
    return Plain(f"{_named(g)} as {kind}", f"a character {kind} cannot have ({value(g['v'])})")


@_w(
    r'Data element "(?P<name>[^"]*)" with a value of \((?P<v>.*)\) failed to match the regular expression ".*"$',
    'Data element "Reference Identification" with a value of (12) failed to match the regular expression "^[A-Z]+$"',
)
def _shape(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{g['name'].lower()} in the form the guide sets", value(g["v"]))


@_w(
    r"\((?P<v>.*)\) is not a valid code for (?P<name>.+) \((?P<ref>[A-Z0-9]{2,3}\d{2}(?:-\d{2})?)\)$",
    "(NP) is not a valid code for State or Province Code (N402)",
)
def _code(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{_named(g)} from its code list", f"{value(g['v'])}, which is not on it")


@_w(_ELE + r" is marked as Not Used$", 'Data element "Tax Amount" (SV108) is marked as Not Used')
def _not_used(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{_named(g)} left empty (5010 does not use it here)", "a value")


@_w(
    _ELE + r" is an invalid composite$",
    'Data element "Procedure Code" (SV101) is an invalid composite',
)
def _not_composite(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{_named(g)} as one value", "parts separated by the component separator")


@_w(
    r'Too many sub-elements in composite "(?P<name>[^"]*)" \((?P<ref>[A-Z0-9]{2,3}\d{2})\)$',
    'Too many sub-elements in composite "Composite Diagnosis Code Pointer" (SV107)',
)
def _parts(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{_named(g)} with no more parts than the guide allows", "more parts")


@_w(
    r'Too many elements in segment "(?P<name>[^"]*)" \((?P<seg>[A-Z0-9]{2,3})\)\. Has (?P<n>\d+), should have (?P<max>\d+)$',
    'Too many elements in segment "Claim Information" (CLM). Has 21, should have 20',
)
def _elements(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"{g['seg']} with at most {g['max']} elements", f"{g['n']} elements")


@_w(
    r"Syntax Error \((?P<rule>[^)]*)\): (?P<said>.+)$",
    "Syntax Error (P0304): If any of NM103, NM104 is present, then all are required",
)
def _syntax(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    said = g["said"].replace("If any of", "if any of").replace("then all are", "all of them are")
    return Plain("elements that belong together given together", said[0].lower() + said[1:])


@_w(
    r"Segment (?P<seg>[A-Z0-9]{2,3}) found but marked as not used$",
    "Segment PWK found but marked as not used",
)
def _seg_not_used(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(
        f"no {g['seg']} segment at this place (5010 does not use it here)", f"a {g['seg']}"
    )


@_w(
    r"Segment (?P<seg>[A-Z0-9]{2,3}) exceeded max count\.\s+Found (?P<n>\d+), should have (?P<max>\d+)$",
    "Segment HI exceeded max count.  Found 3, should have 2",
)
def _seg_count(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"at most {g['max']} {g['seg']} segments here", f"{g['n']}")


@_w(
    r"Loop (?P<loop>\w+) exceeded max count\.\s+Found (?P<n>\d+), should have (?P<max>\d+)$",
    "Loop 2300 exceeded max count.  Found 101, should have 100",
)
def _loop_count(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"at most {g['max']} of loop {g['loop']} here", g["n"])


@_w(
    r'Mandatory segment "(?P<name>[^"]*)" \((?P<seg>[A-Z0-9]{2,3})\) missing$',
    'Mandatory segment "Payer Technical Contact Information" (PER) missing',
)
def _seg_missing(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    expected = f"a {g['seg']} segment ({g['name'].lower()}), which is required here"
    return Plain(expected, "none", missing=g["seg"])


@_w(
    r'Mandatory loop "(?P<name>[^"]*)" \((?P<loop>[0-9A-Z]{4,5})\) missing$',
    'Mandatory loop "Payer Name" (1000A) missing',
)
def _loop_missing(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    expected = f"loop {g['loop']} ({g['name'].lower()}), which is required here"
    return Plain(expected, "none", missing=g["loop"])


# pyx12 quotes the segment it could not place, values and all: none of it is repeated.
@_w(
    r"Segment .* not found\.\s+Started at .*$",
    "Segment SVC*HC:99213 not found.  Started at /ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100",
)
def _seg_unexpected(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(
        "segments in the order the implementation guide sets",
        "this segment where the guide has no place for it (out of order, or in the wrong loop)",
    )


@_w(r'Segment identifier "(?P<seg>.*)" is invalid$', 'Segment identifier "C1M" is invalid')
def _seg_id(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    # What stands where an id should is often a piece of a value a stray terminator cut
    # off (a piece of a name): it is described, never repeated.
    shape = f"{len(g['seg'])} characters that are not one" if g["seg"] else "nothing"
    return Plain("a segment id of two or three capital letters or digits", shape)


@_w(r'Segment ".*" is empty$', 'Segment "" is empty')
def _seg_empty(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain("a segment with values", "an empty segment (two terminators in a row?)")


@_w(r"Segment contains a leading space$", "Segment contains a leading space")
def _leading(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain("a segment that starts with its id", "a space before the id", cosmetic=True)


@_w(
    r"Segment contains trailing element terminators$",
    "Segment contains trailing element terminators",
)
def _trailing(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(
        "a segment that ends with its last value",
        "empty elements at its end (a trailing separator)",
        cosmetic=True,
    )


@_w(
    r"My HL count (?P<mine>\d+) does not match your HL count (?P<v>.*)$",
    "My HL count 1 does not match your HL count 63",
)
def _hl_count(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(
        f"HL01 numbering the set's levels 1, 2, 3… (this is level {g['mine']})", value(g["v"])
    )


@_w(r"HL parent \((?P<v>.*)\) is not a valid parent$", "HL parent (5) is not a valid parent")
def _hl_parent(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain("HL02 naming a level above this one", f"{value(g['v'])}, which is not one")


@_w(
    r"Your 2400/LX01 Service Line Number (?P<v>.*) does not match my count of (?P<mine>\d+)$",
    "Your 2400/LX01 Service Line Number 3 does not match my count of 2",
)
def _lx(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(
        f"LX01 numbering the claim's service lines 1, 2, 3… (this is line {g['mine']})",
        value(g["v"]),
    )


@_w(
    r"(?P<seg>IEA|GE|SE) id=(?P<v>.*) does not match (?P<open>ISA|GS|ST) id=(?P<w>.*)$",
    "SE id=0002 does not match ST id=0001",
)
def _control_number(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    ref = {"IEA": "IEA02", "GE": "GE02", "SE": "SE02"}[g["seg"]]
    other = {"ISA": "ISA13", "GS": "GS06", "ST": "ST02"}[g["open"]]
    return Plain(f"{ref} equal to {other} ({value(g['w'])})", value(g["v"]))


@_w(r"IEA count for IEA02=.* is wrong$", "IEA count for IEA02=000000907 is wrong")
def _iea_count(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain("IEA01 giving the number of functional groups", "another number")


@_w(
    r"GE count of (?P<v>.*) for GE02=.* is wrong\. I count (?P<n>\d+)$",
    "GE count of 2 for GE02=1 is wrong. I count 1",
)
def _ge_count(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"GE01 giving the group's {g['n']} transaction sets", value(g["v"]))


@_w(
    r"SE count of (?P<v>.*) for SE02=.* is wrong\. I count (?P<n>\d+)$",
    "SE count of 41 for SE02=0021 is wrong. I count 40",
)
def _se_count(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"SE01 giving the set's {g['n']} segments", value(g["v"]))


@_w(
    r'Mandatory segment "(?:Transaction Set|Functional Group|Interchange Control) Trailer" \((?P<seg>SE|GE|IEA)\) not found$',
    'Mandatory segment "Transaction Set Trailer" (SE) not found',
)
def _trailer(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"an {g['seg']} closing what was opened", "the file ends without it")


@_w(
    r"(?P<seg>ISA|GS|ST) Interchange Control Number (?P<v>.*) not unique within file$",
    "ST Interchange Control Number 0001 not unique within file",
)
def _unique(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain(f"each {g['seg']} control number once in the file", f"{value(g['v'])} again")


@_w(r"Unterminated (?:Loop|segment) .*$", "Unterminated Loop ST")
def _unterminated(g: dict[str, str], value: Callable[[str], str]) -> Plain:
    return Plain("every ISA, GS and ST closed by its IEA, GE and SE", "one left open")


WORDINGS: tuple[Wording, ...] = (
    _missing,
    _short,
    _long,
    _control,
    _spaces,
    _date,
    _time,
    _character,
    _shape,
    _code,
    _not_used,
    _not_composite,
    _parts,
    _elements,
    _syntax,
    _seg_not_used,
    _seg_count,
    _loop_count,
    _seg_missing,
    _loop_missing,
    _seg_unexpected,
    _seg_id,
    _seg_empty,
    _leading,
    _trailing,
    _hl_count,
    _hl_parent,
    _lx,
    _control_number,
    _iea_count,
    _ge_count,
    _se_count,
    _trailer,
    _unique,
    _unterminated,
)


def reword(message: str, *, segment: str, code: str, level: str) -> Plain:
    """pyx12's `message` about `segment` in plain words; `code` and `level` ('segment' or
    'element') name the X12 error code used when no wording matches."""
    text = message.strip().splitlines()[0] if message.strip() else ""
    value = _shown_value(segment)
    for wording in WORDINGS:
        match = wording.pattern.match(text)
        if match:
            found = {k: v for k, v in match.groupdict().items() if v is not None}
            plain = wording.say(found, value)
            return Plain(
                printable(plain.expected), printable(plain.found), plain.missing, plain.cosmetic
            )
    codes = ELEMENT_CODES if level == "element" else SEGMENT_CODES
    return Plain(BY_CODE, codes.get(code, "an X12 error"))


def _shown_value(segment: str) -> Callable[[str], str]:
    def value(raw: str) -> str:
        if segment not in PHI_SEGMENTS and _CODE_LIKE.fullmatch(raw):
            return raw
        if not raw:
            return "nothing"
        return f"a value of {len(raw)} characters"

    return value
