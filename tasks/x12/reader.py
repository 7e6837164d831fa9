"""Read an X12 file with pyx12: validate it against the implementation guide and walk its loops.

pyx12 does the grammar (maps for 837P 005010X222A1 and 835 005010X221A1); this module
splits what it reads into transaction sets, each with its segments (tagged with the loop
they belong to) and the validation errors pyx12 found in it, so a caller can load the
valid sets and quarantine the rest. Error text that could echo a patient's name, birth
date, address or member id is reduced to the segment, element and kind of error.
"""

from __future__ import annotations

import io
import logging
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyx12.error_handler
import pyx12.errors
import pyx12.params
import pyx12.x12context

from tasks.text import printable

# pyx12 logs every validation error (with the offending value) on its own loggers; the
# errors are collected from its error tree instead, so its log output is only a leak risk.
logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)

# Implementation guides pyx12 has maps for; the A2 errata of the 837P differs from A1 in
# ways the checks do not read, and pyx12 has no A2 map, so A2 files are read as A1.
_GS08_READ_AS = {"005010X222A2": "005010X222A1"}
# Segments whose values identify a person: their values never appear in an error message.
PHI_SEGMENTS = frozenset({"NM1", "N3", "N4", "DMG", "PER", "REF", "N1", "N2"})


class X12FileError(ValueError):
    """The file is not an X12 interchange pyx12 can read at all."""


@dataclass(frozen=True, slots=True)
class X12Error:
    """One validation error: where (line, loop, segment, element) and what."""

    line: int
    segment: str
    loop: str
    element: str
    message: str

    def describe(self) -> str:
        where = f"line {self.line}, segment {self.segment}"
        where += f", loop {self.loop}" if self.loop else ""
        where += f", element {self.element}" if self.element else ""
        return f"{where}: {self.message}"


# Within a kept segment, elements are joined by RS and an element's components by US:
# control characters the X12 character sets do not allow, so no value can contain them.
_ELEMENT = "\x1e"
_COMPONENT = "\x1f"


class Seg:
    """One segment: its line in the file, the loop it is in, and its values by reference.

    Its values are one string: elements joined by RS, an element's components by US.
    """

    __slots__ = ("_packed", "id", "line", "loop")

    def __init__(self, line: int, loop: str, seg_id: str, packed: str) -> None:
        self.line = line
        self.loop = loop
        self.id = seg_id
        self._packed = packed

    @staticmethod
    def pack(data: Any) -> str:
        """A pyx12 segment's values as one string (its id not included)."""
        return _ELEMENT.join(
            _COMPONENT.join(e.get_value() for e in comp.elements) for comp in data.elements
        )

    def get(self, ref: str) -> str:
        """The value at `ref`, e.g. '01' or '01-02' (empty when absent)."""
        position, _, sub = ref.partition("-")
        index = int(position) - 1
        elements = self._packed.split(_ELEMENT)
        if index >= len(elements):
            return ""
        if not sub:
            return elements[index].replace(_COMPONENT, ":").rstrip(":").strip()
        parts = elements[index].split(_COMPONENT)
        inner = int(sub) - 1
        return parts[inner].strip() if inner < len(parts) else ""

    def text(self) -> str:
        elements = [e.replace(_COMPONENT, ":").rstrip(":") for e in self._packed.split(_ELEMENT)]
        while elements and not elements[-1]:
            elements.pop()
        return "*".join([self.id, *elements]) + "~"


@dataclass
class TransactionSet:
    """An ST..SE set: the unit that loads whole or is quarantined whole.

    Its segments' values are kept in one string, with where each ends, its line, its
    segment id and its loop in arrays, and become `Seg` objects only while a caller walks
    them: a 35,000-claim file waiting to load (or crossing from a read-ahead process) costs
    about its text, not an object and a string per segment.
    """

    kind: str  # ST01: 837, 835
    control_number: str  # ST02
    version: str  # GS08
    start_line: int
    errors: list[X12Error] = field(default_factory=list)
    envelope_errors: list[X12Error] = field(default_factory=list)
    _values: str = ""
    _ends: array[int] = field(default_factory=lambda: array("I"))
    _lines: array[int] = field(default_factory=lambda: array("I"))
    _ids: array[int] = field(default_factory=lambda: array("H"))
    _loops: array[int] = field(default_factory=lambda: array("H"))
    _names: list[str] = field(default_factory=list)  # segment ids and loop ids, each once
    _pending: list[str] = field(default_factory=list)  # values not yet joined into _values

    def add(self, line: int, loop: str, seg_id: str, packed: str) -> None:
        self._lines.append(line)
        self._ids.append(self._name(seg_id))
        self._loops.append(self._name(loop))
        self._ends.append((self._ends[-1] if self._ends else 0) + len(packed))
        self._pending.append(packed)

    def _name(self, name: str) -> int:
        if name not in self._names:
            self._names.append(name)
        return self._names.index(name)

    def close(self) -> None:
        """The set is read: join its segments' values into one string."""
        if self._pending:
            self._values += "".join(self._pending)
            self._pending = []

    @property
    def segments(self) -> list[Seg]:
        return list(self.iter_segments())

    def iter_segments(self, only: frozenset[str] | None = None) -> Iterator[Seg]:
        """The segments one at a time (a caller that keeps none holds one `Seg`, not the
        set's); `only`: just the segments with those ids, the others never built."""
        self.close()
        wanted = None if only is None else {i for i, n in enumerate(self._names) if n in only}
        start = 0
        for line, loop, seg_id, end in zip(
            self._lines, self._loops, self._ids, self._ends, strict=True
        ):
            if wanted is None or seg_id in wanted:
                yield Seg(line, self._names[loop], self._names[seg_id], self._values[start:end])
            start = end

    @property
    def lines(self) -> array[int]:
        return self._lines

    def loops_by_line(self) -> dict[int, str]:
        return {
            line: self._names[loop] for line, loop in zip(self._lines, self._loops, strict=True)
        }

    @property
    def valid(self) -> bool:
        return not self.errors and not self.envelope_errors

    @property
    def locator(self) -> str:
        return f"ST {self.control_number} (line {self.start_line})"

    def text(self) -> str:
        return "~\n".join(s.text().rstrip("~") for s in self.segments) + "~"


@dataclass
class X12Document:
    sets: list[TransactionSet]
    notes: list[str]


X12_SUFFIXES = (".837", ".835", ".x12", ".edi", ".txt")


def sniff(head: bytes) -> str | None:
    """'837' or '835' for an X12 file of that kind, 'x12' for another X12, None if not X12."""
    text = head.lstrip(b"\xef\xbb\xbf\r\n\t ")
    if not text.startswith(b"ISA") or len(text) < 4:
        return None
    separator = text[3:4]
    for kind in (b"837", b"835"):
        if b"ST" + separator + kind in text:
            return kind.decode()
    return "x12"


def decode(data: bytes) -> str:
    """X12 is ASCII; bytes outside it are kept (latin-1) so pyx12 can name where they are."""
    return data.decode("latin-1")


def read(data: bytes) -> X12Document:
    """Validate and split X12 interchanges held in memory, each read on its own (pyx12
    reads one interchange per stream: a second one in the same stream fails)."""
    text, notes = _prepared(decode(data.removeprefix(UTF8_BOM)))
    interchanges, trailing = _interchanges(text)
    if trailing:
        notes.append(f"{len(trailing):,} characters after the last IEA were ignored")
    sets: list[TransactionSet] = []
    for interchange in interchanges:
        sets += _read_interchange(interchange)
    if not sets:
        raise X12FileError(
            "no transaction set (ST to SE) could be found in it; "
            "segment ids are written in capital letters (ST, CLM, SE)"
        )
    return X12Document(sets, notes)


def _read_interchange(text: str) -> list[TransactionSet]:
    errh = pyx12.error_handler.err_handler()
    last = _Last()
    try:
        sets = list(_walk(text, errh, last))
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as error:
        raise X12FileError(_clean("", str(error))) from None
    except Exception as error:
        # pyx12 has its own bugs (an SV107 of five pointers raises IndexError): a file it
        # cannot read is refused with where it stopped, and the next file is read.
        raise X12FileError(f"it could not be read past {last.where()} ({_kind(error)})") from None
    try:
        _attach_errors(errh, sets)
    except Exception as error:
        raise X12FileError(f"its errors could not be placed ({_kind(error)})") from None
    return sets


UTF8_BOM = b"\xef\xbb\xbf"
ISA_LENGTH = 106  # the ISA is fixed width: its 16 fields padded, the terminator at 105


def _interchanges(text: str) -> tuple[list[str], str]:
    """The file's interchanges, each ISA to IEA with its segments one to a line (leading
    blanks and line ends around segments removed, as translators add them), and whatever
    followed the last IEA."""
    terminator = text[ISA_LENGTH - 1]
    segments = [s.strip(" \t\r\n") for s in text.split(terminator)]
    out: list[list[str]] = []
    trailing: list[str] = []
    for segment in segments:
        if not segment:
            continue
        if segment.startswith("ISA"):
            out.append([])
            trailing = []
        if out and (not out[-1] or not out[-1][-1].startswith("IEA")):
            out[-1].append(segment)
        else:
            trailing.append(segment)
    # pyx12 wants the declared terminator; a newline after each segment keeps line numbers.
    end = terminator if terminator not in "\r\n" else "~"
    texts = ["".join(f"{s}{end}\n" for s in chunk) for chunk in out]
    return texts, terminator.join(trailing)


@dataclass
class _Last:
    """The last segment read, for a reason that says where reading stopped."""

    segment: str = ""
    line: int = 0

    def where(self) -> str:
        if not self.segment:
            return "its start"
        return f"segment {_shown(self.segment)} (segment number {self.line})"


def _kind(error: Exception) -> str:
    return f"the X12 reader failed: {type(error).__name__}"


def _prepared(text: str) -> tuple[str, list[str]]:
    stripped = text.lstrip("\ufeff\r\n\t ")
    if not stripped.startswith("ISA"):
        head = re.sub(r"[^A-Z0-9]", " ", stripped[:3].upper()).strip() or "nothing readable"
        raise X12FileError(
            f"an X12 interchange starts with an ISA segment; this file starts with {head!r}"
        )
    _check_isa(stripped)
    notes = []
    for old, new in _GS08_READ_AS.items():
        if old in stripped:
            stripped = stripped.replace(old, new)
            notes.append(f"GS08 {old} read with the {new} map (pyx12 has no {old} map)")
    return stripped, notes


def _check_isa(text: str) -> None:
    """Refuse, in plain words, an ISA that is not fixed width or not version 5010."""
    separator = text[3:4]
    head = text[:ISA_LENGTH]
    if len(head) < ISA_LENGTH or head.count(separator) != 16 or head[-1].isalnum():
        raise X12FileError(
            "its ISA segment is not the fixed 106 characters X12 requires (each of its "
            "fields padded with spaces to its width); ask the sender to pad it"
        )
    version = head.split(separator)[12]
    if version == "00401":
        raise X12FileError(
            "this is an X12 4010 file; ClaimGuard reads 5010: 005010X222A1 claims and "
            "005010X221A1 remittances"
        )


def _walk(text: str, errh: Any, last: _Last) -> Iterator[TransactionSet]:
    params = pyx12.params.params()
    reader = pyx12.x12context.X12ContextReader(params, errh, io.StringIO(text))
    current: TransactionSet | None = None
    version = ""
    opened: list[TransactionSet] = []
    closed_interchange = False
    for node in reader.iter_segments():
        map_node = node.x12_map_node
        data = node.seg_data
        loop = map_node.parent.id if map_node.parent else ""
        seg = Seg(node.cur_line_number, loop, data.get_seg_id(), Seg.pack(data))
        last.segment, last.line = seg.id, seg.line
        if seg.id == "GS":
            version = seg.get("08")
        elif seg.id == "ST":
            current = TransactionSet(seg.get("01"), seg.get("02"), version, seg.line)
            opened.append(current)
        elif seg.id == "IEA":
            closed_interchange = True
        if current is not None:
            current.add(seg.line, seg.loop, seg.id, seg._packed)
        if seg.id == "SE" and current is not None:
            current.close()
            yield current
            current = None
    # pyx12 says nothing when the stream just stops: a file cut off mid-set is caught here.
    if current is not None:
        current.close()
        end = current.lines[-1] if current.lines else current.start_line
        current.errors.append(
            X12Error(end, "SE", "", "", "the set has no SE: the file ends inside it (truncated?)")
        )
        yield current
    if opened and not closed_interchange:
        for tx in opened:
            tx.envelope_errors.append(
                X12Error(0, "IEA", "", "", "the interchange has no IEA: the file is incomplete")
            )


def _attach_errors(errh: Any, sets: list[TransactionSet]) -> None:
    """Move pyx12's error tree onto the sets it belongs to (ST nodes come in file order)."""
    st_nodes: list[tuple[Any, list[X12Error]]] = []
    for isa in errh.children:
        outer = [_envelope_error(isa, "ISA", e) for e in isa.errors]
        for gs in isa.children:
            group = outer + [_envelope_error(gs, "GS", e) for e in gs.errors]
            st_nodes.extend((st, group) for st in gs.children)
            if not gs.children and group:
                st_nodes.append((None, group))
        if not isa.children and outer:
            st_nodes.append((None, outer))
    loops = {line: loop for s in sets for line, loop in s.loops_by_line().items()}
    index = 0
    for st, envelope in st_nodes:
        if st is None:
            for s in sets:
                s.envelope_errors.extend(envelope)
            continue
        if index >= len(sets):
            break
        target = sets[index]
        index += 1
        target.envelope_errors.extend(envelope)
        target.errors.extend(_set_errors(st, loops))


def _envelope_error(node: Any, segment: str, error: tuple[Any, ...]) -> X12Error:
    return X12Error(
        int(node.get_cur_line() or 0), _shown(segment), "", "", _clean(segment, error[1])
    )


def _set_errors(st: Any, loops: dict[int, str]) -> list[X12Error]:
    found = [
        X12Error(int(st.cur_line_se or st.cur_line_st or 0), "SE", "", "", _clean("SE", e[1]))
        for e in st.errors
    ]
    for seg in st.children:
        loop = loops.get(seg.cur_line, "")
        found += [
            X12Error(seg.cur_line, _shown(seg.seg_id), loop, "", _clean(seg.seg_id, e[1]))
            for e in seg.errors
        ]
        for ele in seg.elements:
            ref = f"{_shown(seg.seg_id)}{ele.ele_pos:02d}"
            if ele.subele_pos:
                ref += f"-{ele.subele_pos:02d}"
            found += [
                X12Error(seg.cur_line, _shown(seg.seg_id), loop, ref, _clean(seg.seg_id, e[1]))
                for e in ele.errors
            ]
    return found


# pyx12 quotes the segment it could not place whole ("Segment NTE*ADD*... not found"),
# spaces and all; a segment split by a stray terminator starts with a value ("DOE*JOHN").
_SEGMENT_ECHO = re.compile(r"Segment (\S*).*? not found")
_LEN_ECHO = re.compile(r'len\("[^"]*"\)')
_VALUE_ECHO = re.compile(r"\([^()]*\)|\"[^\"]*\"|'[^']*'")
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_CODE_LIKE = re.compile(r"[A-Z0-9]{1,5}")


def _clean(segment: str, message: str) -> str:
    """pyx12's message without any value that could identify a person: a value is kept only
    when it is code-like (five capitals or digits at most) and not in a person's segment."""
    text = _SEGMENT_ECHO.sub(_segment_named, _first_line(message))
    text = _LEN_ECHO.sub("the length", text)
    text = _VALUE_ECHO.sub(lambda m: _value(m.group(0), segment), text)
    return printable(text)


def _shown(segment: str) -> str:
    """A segment id as an error names it: a split segment's "id" may be a person's name."""
    return segment if _SEGMENT_ID.fullmatch(segment) else "(unrecognised)"


def _segment_named(match: re.Match[str]) -> str:
    head = match.group(1).split("*", 1)[0]
    return f"Segment {head} not found" if _SEGMENT_ID.fullmatch(head) else "A segment not found"


def _value(group: str, segment: str) -> str:
    if _is_reference(group):
        return group
    inner = group[1:-1]
    if segment not in PHI_SEGMENTS and _CODE_LIKE.fullmatch(inner):
        return group
    return "(value)"


def _is_reference(group: str) -> bool:
    # "(NM103)", "(PER)" or "(max_len)" are references, not values.
    return bool(re.fullmatch(r"\(([A-Z][A-Z0-9]{1,2}(\d{2}(-\d{2})?)?|max_len|min_len)\)", group))


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0][:300] if message.strip() else "unreadable"
