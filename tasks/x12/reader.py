"""Read an X12 file with pyx12: validate it against the implementation guide and walk its loops.

pyx12 does the grammar (maps for 837P 005010X222A1 and 835 005010X221A1); this module
splits what it reads into transaction sets, each with its segments (tagged with the loop
they belong to) and the validation errors pyx12 found in it, so a caller can load the
valid sets and quarantine the rest. Error text that could echo a patient's name, birth
date, address or member id is reduced to the segment, element and kind of error.
"""

from __future__ import annotations

import functools
import io
import logging
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyx12.error_handler
import pyx12.errors
import pyx12.map_if
import pyx12.params
import pyx12.x12context

from tasks.text import printable
from tasks.x12.plain import Plain, reword

# pyx12 logs every validation error (with the offending value) on its own loggers; the
# errors are collected from its error tree instead, so its log output is only a leak risk.
logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)

# Implementation guides pyx12 has maps for; the A2 errata of the 837P differs from A1 in
# ways the checks do not read, and pyx12 has no A2 map, so A2 files are read as A1.
_GS08_READ_AS = {"005010X222A2": "005010X222A1"}


class X12FileError(ValueError):
    """The file is not an X12 interchange pyx12 can read at all."""


@dataclass(frozen=True, slots=True)
class X12Error:
    """One validation error: where (the segment's number in its interchange, its line and
    column in the file as an editor shows them, its loop and element) and what, in plain
    words; `code` is the X12 error code (999 IK304/IK403) or pyx12's."""

    ordinal: int
    segment: str
    loop: str
    element: str
    plain: Plain
    code: str = ""
    line: int = 0
    column: int = 0

    @property
    def message(self) -> str:
        return f"expected {self.plain.expected}; found {self.plain.found}"

    def where(self) -> str:
        at = f"segment {self.segment}"
        at += f" element {self.element}" if self.element else ""
        at += f" (segment {self.ordinal}" if self.ordinal else " ("
        at += f", line {self.line}, column {self.column})" if self.line else ")"
        at = at.replace(" ()", "").replace("(, ", "(")
        return at + (f" in loop {self.loop}" if self.loop else "")

    def describe(self) -> str:
        return f"{self.where()}: {self.message}"


Position = tuple[int, int]  # (line, column) in the file, as an editor counts them


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
    warnings: list[X12Error] = field(default_factory=list)  # read as meant, but said
    _values: str = ""
    _ends: array[int] = field(default_factory=lambda: array("I"))
    _lines: array[int] = field(default_factory=lambda: array("I"))
    # Where each segment starts in the file; a set written one segment to a line keeps
    # only its first line, one written on a single line only its columns.
    _file_lines: array[int] = field(default_factory=lambda: array("I"))
    _columns: array[int] = field(default_factory=lambda: array("I"))
    _first_file_line: int = 0
    _single_line: int = 0
    _ids: array[int] = field(default_factory=lambda: array("H"))
    _loops: array[int] = field(default_factory=lambda: array("H"))
    _names: list[str] = field(default_factory=list)  # segment ids and loop ids, each once
    _pending: list[str] = field(default_factory=list)  # values not yet joined into _values

    def add(self, line: int, loop: str, seg_id: str, packed: str, at: Position = (0, 0)) -> None:
        self._lines.append(line)
        self._file_lines.append(at[0])
        self._columns.append(at[1])
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
        self._compact_positions()

    def _compact_positions(self) -> None:
        lines, count = self._file_lines, len(self._file_lines)
        if not count:
            return
        if self._columns.count(1) == count and lines == array(
            "I", range(lines[0], lines[0] + count)
        ):
            self._first_file_line = lines[0]
            self._file_lines, self._columns = array("I"), array("I")
        elif lines.count(lines[0]) == count:
            self._single_line = lines[0]
            self._file_lines = array("I")

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

    def position(self, ordinal: int) -> Position:
        """Where the set's segment numbered `ordinal` starts in the file: (line, column)."""
        index = ordinal - self.start_line
        if not 0 <= index < len(self._lines):
            return 0, 0
        if self._file_lines:
            return self._file_lines[index], self._columns[index]
        if self._single_line:
            return self._single_line, self._columns[index]
        if self._first_file_line:
            return self._first_file_line + index, 1
        return 0, 0

    def loops_by_line(self) -> dict[int, str]:
        return {
            line: self._names[loop] for line, loop in zip(self._lines, self._loops, strict=True)
        }

    @property
    def valid(self) -> bool:
        return not self.errors and not self.envelope_errors

    @property
    def locator(self) -> str:
        line = self.position(self.start_line)[0] or self.start_line
        return f"ST {self.control_number} (line {line})"

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
    try:
        interchanges, trailing = _interchanges(text)
    except Exception as error:
        # Splitting what pyx12 will read must never be what fails a file without a reason.
        raise X12FileError(f"its segments could not be told apart ({_kind(error)})") from None
    if trailing:
        notes.append(f"{len(trailing):,} characters after the last IEA were ignored")
    sets: list[TransactionSet] = []
    for interchange in interchanges:
        sets += _read_interchange(interchange)
    for tx in sets:
        if tx.kind == "837":
            try:
                _check_hl_chain(tx)
            except Exception as error:
                raise X12FileError(f"its HL levels could not be read ({_kind(error)})") from None
        # Layout faults (a trailing separator) leave every value as meant: said, not refused.
        tx.warnings += [e for e in tx.errors if e.plain.cosmetic]
        tx.errors = [e for e in tx.errors if not e.plain.cosmetic and not _listed_remark(e)]
    if not sets:
        raise X12FileError(
            "no transaction set (ST to SE) could be found in it; "
            "segment ids are written in capital letters (ST, CLM, SE)"
        )
    return X12Document(sets, notes)


# Remark codes (RARCs) on the published list that pyx12 4.0's code list lacks: MA15 marks
# each part of a split claim, which the 5010 835 guide requires (docs/sources.md §15).
REMARKS_PYX12_LACKS = frozenset({"MA15", "MA26", "MA27", "MA28"})
_REMARK_ELEMENTS = frozenset(
    {
        *(f"MOA{i:02d}" for i in range(3, 8)),
        "MIA05",
        *(f"MIA{i:02d}" for i in range(20, 24)),
        "LQ02",
    }
)


def _listed_remark(error: X12Error) -> bool:
    """A code-list error on a remark code the published list has: not an error at all."""
    if error.code != "7" or error.element not in _REMARK_ELEMENTS:
        return False
    return error.plain.found.split(",")[0] in REMARKS_PYX12_LACKS


def _read_interchange(interchange: _Interchange) -> list[TransactionSet]:
    errh = pyx12.error_handler.err_handler()
    last = _Last(interchange)
    try:
        sets = list(_walk(interchange, errh, last))
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as error:
        raise X12FileError(_engine_reason(str(error), last)) from None
    except Exception as error:
        # pyx12 has its own bugs (an SV107 of five pointers raises IndexError): a file it
        # cannot read is refused with where it stopped, and the next file is read.
        raise X12FileError(f"it could not be read past {last.where()} ({_kind(error)})") from None
    try:
        _attach_errors(errh, sets, interchange)
        _attach_cut(sets, interchange)
    except Exception as error:
        raise X12FileError(f"its errors could not be placed ({_kind(error)})") from None
    return sets


_MAP_NOT_FOUND = re.compile(r"Map not found\.\s+icvn=(\w*), fic=(\w*), vriic=(\w*)")


def _engine_reason(message: str, last: _Last) -> str:
    """Why pyx12 gave up on an interchange, in plain words (its own are about its maps)."""
    found = _MAP_NOT_FOUND.search(message)
    if found:
        version = printable(found.group(3))[:12] or "none"
        return (
            f"ClaimGuard cannot read its transactions (GS08 version {version}); it reads "
            "5010 005010X222A1 claims and 005010X221A1 remittances"
        )
    if "ISA segment must have 16 elements" in message:
        return "its ISA segment does not have the 16 elements X12 requires"
    return f"it could not be read past {last.where()} (the X12 reader gave up)"


UTF8_BOM = b"\xef\xbb\xbf"
ISA_LENGTH = 106  # the ISA is fixed width: its 16 fields padded, the terminator at 105


@dataclass
class _Interchange:
    """One ISA..IEA with its segments one to a line (so pyx12's line is the segment's
    number), where each segment starts in the file, and the composites cut to what
    pyx12 can read (by segment number)."""

    text: str
    lines: array[int]
    columns: array[int]
    cut: list[tuple[int, str, Plain]] = field(default_factory=list)

    def position(self, ordinal: int) -> Position:
        index = ordinal - 1
        if 0 <= index < len(self.lines):
            return self.lines[index], self.columns[index]
        return 0, 0


_BLANKS = " \t\r\n"


def _interchanges(text: str) -> tuple[list[_Interchange], str]:
    """The file's interchanges (leading blanks and line ends around segments removed, as
    translators add them), and whatever followed the last IEA."""
    terminator = text.lstrip(_BLANKS)[ISA_LENGTH - 1]
    # pyx12 wants the declared terminator; a newline after each segment numbers them.
    end = terminator if terminator not in "\r\n" else "~"
    out: list[tuple[list[str], array[int], array[int]]] = []
    cuts: list[list[tuple[int, str, Plain]]] = []
    composites = composite_limits()
    separators: tuple[str, str] | None = None
    trailing: list[str] = []
    offset = cursor = line_start = 0
    line = 1
    for piece in text.split(terminator):
        stripped = piece.lstrip(_BLANKS)
        start = offset + len(piece) - len(stripped)
        offset += len(piece) + 1
        segment = stripped.rstrip(_BLANKS)
        if not segment:
            continue
        breaks = text.count("\n", cursor, start)
        if breaks:
            line += breaks
            line_start = text.rfind("\n", cursor, start) + 1
        cursor = start
        if segment.startswith("ISA"):
            out.append(([], array("I"), array("I")))
            cuts.append([])
            trailing = []
            separators = _separators(segment)
        if out and (not out[-1][0] or not out[-1][0][-1].startswith("IEA")):
            if separators and segment.partition(separators[0])[0] in composites:
                segment = _fit_composites(segment, separators, len(out[-1][0]) + 1, cuts[-1])
            out[-1][0].append(f"{segment}{end}\n")
            out[-1][1].append(line)
            out[-1][2].append(start - line_start + 1)
        else:
            trailing.append(segment)
    texts = [
        _Interchange("".join(chunk), lines, columns, cut)
        for (chunk, lines, columns), cut in zip(out, cuts, strict=True)
    ]
    return texts, terminator.join(trailing)


# pyx12 4 fails (IndexError) on a composite with more components than its map allows
# (SV107 with five diagnosis pointers): such a segment is cut to what the map allows
# before pyx12 reads it, and refused in ClaimGuard's words, so only its claim is lost.
@functools.cache
def composite_limits() -> dict[str, dict[int, int]]:
    """The most components each composite of the 837P and 835 maps takes, by segment id
    and element position (the largest over every place the segment appears)."""
    params = pyx12.params.params()
    limits: dict[str, dict[int, int]] = {}
    for name in ("837.5010.X222.A1.xml", "835.5010.X221.A1.xml"):
        root = pyx12.map_if.load_map_file(name, params)
        for node in root.loop_segment_iterator():
            if not node.is_segment():
                continue
            for position, child in enumerate(node.children, start=1):
                if child.is_composite() and child.usage != "N":
                    known = limits.setdefault(node.id, {})
                    known[position] = max(known.get(position, 0), child.get_child_count())
    return limits


def _separators(isa: str) -> tuple[str, str] | None:
    """The element and component separators an ISA declares; None when they are not two
    distinct punctuation characters (pyx12 then refuses the interchange in its own way)."""
    element, component = isa[3:4], isa[-1:]
    usable = all(len(c) == 1 and not c.isalnum() and not c.isspace() for c in (element, component))
    return (element, component) if usable and element != component else None


def _fit_composites(
    segment: str,
    separators: tuple[str, str],
    ordinal: int,
    cut: list[tuple[int, str, Plain]],
) -> str:
    element, component = separators
    values = segment.split(element)
    limits = composite_limits()[values[0]]
    changed = False
    for position, most in limits.items():
        if position < len(values) and values[position].count(component) >= most:
            parts = values[position].split(component)
            ref = f"{values[0]}{position:02d}"
            plain = Plain(f"{ref} with at most {most} components", f"{len(parts)} components")
            cut.append((ordinal, ref, plain))
            values[position] = component.join(parts[:most])
            changed = True
    return element.join(values) if changed else segment


def _attach_cut(sets: list[TransactionSet], interchange: _Interchange) -> None:
    for ordinal, ref, plain in interchange.cut:
        for tx in sets:
            if tx.start_line <= ordinal < tx.start_line + len(tx.lines):
                line, column = interchange.position(ordinal)
                error = X12Error(ordinal, ref[:-2], "", ref, plain, "3", line, column)
                tx.errors.append(error)
                break


@dataclass
class _Last:
    """The last segment read, for a reason that says where reading stopped."""

    interchange: _Interchange
    segment: str = ""
    ordinal: int = 0

    def where(self) -> str:
        if not self.segment:
            return "its start"
        line, column = self.interchange.position(self.ordinal)
        return (
            f"segment {_shown(self.segment)} (segment {self.ordinal}, line {line}, column {column})"
        )


def _kind(error: Exception) -> str:
    return f"the X12 reader failed: {type(error).__name__}"


def _prepared(text: str) -> tuple[str, list[str]]:
    """The text, checked to be a 5010 interchange (blanks before its ISA kept: they count
    in the lines an editor shows)."""
    text = text.removeprefix("\ufeff")
    stripped = text.lstrip(_BLANKS)
    if not stripped.startswith("ISA"):
        head = re.sub(r"[^A-Z0-9]", " ", stripped[:3].upper()).strip() or "nothing readable"
        raise X12FileError(
            f"an X12 interchange starts with an ISA segment; this file starts with {head!r}"
        )
    _check_isa(stripped)
    notes = []
    for old, new in _GS08_READ_AS.items():
        if old in text:
            text = text.replace(old, new)
            notes.append(f"GS08 {old} read as {new}: the claims are read the same way")
    return text, notes


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


def _walk(interchange: _Interchange, errh: Any, last: _Last) -> Iterator[TransactionSet]:
    params = pyx12.params.params()
    reader = pyx12.x12context.X12ContextReader(params, errh, io.StringIO(interchange.text))
    current: TransactionSet | None = None
    version = ""
    opened: list[TransactionSet] = []
    closed_interchange = False
    for node in reader.iter_segments():
        map_node = node.x12_map_node
        data = node.seg_data
        loop = map_node.parent.id if map_node.parent else ""
        seg = Seg(node.cur_line_number, loop, data.get_seg_id(), Seg.pack(data))
        last.segment, last.ordinal = seg.id, seg.line
        if seg.id == "GS":
            version = seg.get("08")
        elif seg.id == "ST":
            current = TransactionSet(seg.get("01"), seg.get("02"), version, seg.line)
            opened.append(current)
        elif seg.id == "IEA":
            closed_interchange = True
        if current is not None:
            current.add(seg.line, seg.loop, seg.id, seg._packed, interchange.position(seg.line))
        if seg.id == "SE" and current is not None:
            current.close()
            yield current
            current = None
    # pyx12 says nothing when the stream just stops: a file cut off mid-set is caught here.
    if current is not None:
        current.close()
        end = current.lines[-1] if current.lines else current.start_line
        line, column = interchange.position(end)
        plain = Plain("an SE closing the set", "the file ends inside the set (cut off?)")
        current.errors.append(X12Error(end, "SE", "", "", plain, "", line, column))
        yield current
    if opened and not closed_interchange:
        plain = Plain("an IEA closing the interchange", "the file ends before it")
        for tx in opened:
            tx.envelope_errors.append(X12Error(0, "IEA", "", "", plain))


def _attach_errors(errh: Any, sets: list[TransactionSet], interchange: _Interchange) -> None:
    """Move pyx12's error tree onto the sets it belongs to (ST nodes come in file order)."""
    st_nodes: list[tuple[Any, list[X12Error]]] = []
    for isa in errh.children:
        outer = [_envelope_error(isa, "ISA", e, interchange) for e in isa.errors]
        for gs in isa.children:
            group = outer + [_envelope_error(gs, "GS", e, interchange) for e in gs.errors]
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
        target.errors.extend(_set_errors(st, loops, interchange))


def _error(
    ordinal: int,
    segment: str,
    error: tuple[Any, ...],
    interchange: _Interchange,
    *,
    loop: str = "",
    element: str = "",
) -> X12Error:
    code, message = str(error[0]), str(error[1])
    shown = _shown(segment)
    plain = reword(message, segment=shown, code=code, level="element" if element else "segment")
    line, column = interchange.position(ordinal)
    return X12Error(ordinal, shown, loop, element, plain, code, line, column)


def _envelope_error(
    node: Any, segment: str, error: tuple[Any, ...], interchange: _Interchange
) -> X12Error:
    return _error(int(node.get_cur_line() or 0), segment, error, interchange)


def _set_errors(st: Any, loops: dict[int, str], interchange: _Interchange) -> list[X12Error]:
    trailer = int(st.cur_line_se or st.cur_line_st or 0)
    found = [_error(trailer, "SE", e, interchange) for e in st.errors]
    for seg in st.children:
        loop = loops.get(seg.cur_line, "")
        found += [_error(seg.cur_line, seg.seg_id, e, interchange, loop=loop) for e in seg.errors]
        for ele in seg.elements:
            ref = f"{_shown(seg.seg_id)}{ele.ele_pos:02d}"
            if ele.subele_pos:
                ref += f"-{ele.subele_pos:02d}"
            found += [
                _error(seg.cur_line, seg.seg_id, e, interchange, loop=loop, element=ref)
                for e in ele.errors
            ]
    return found


_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")


def _shown(segment: str) -> str:
    """A segment id as an error names it: a split segment's "id" may be a person's name."""
    return segment if _SEGMENT_ID.fullmatch(segment) else "(unrecognised)"


_HL_CODES = frozenset({"HL1", "HL2"})


def _check_hl_chain(tx: TransactionSet) -> None:
    """HL ids that do not start at 1 but form a consistent parent chain (numbered on from an
    earlier set) are read by that chain, with a warning instead of pyx12's errors."""
    if not any(e.code in _HL_CODES for e in tx.errors):
        return
    seen: set[str] = set()
    previous: int | None = None
    first: Seg | None = None
    for seg in tx.iter_segments(only=frozenset({"HL"})):
        own, parent = seg.get("01"), seg.get("02")
        if not own.isdigit() or own in seen:
            return
        if previous is not None and int(own) != previous + 1:
            return
        if (parent and parent not in seen) or (
            not parent and previous is not None and seg.get("03") != "20"
        ):
            return
        seen.add(own)
        previous = int(own)
        first = first or seg
    if first is None:
        return
    tx.errors = [e for e in tx.errors if e.code not in _HL_CODES]
    line, column = tx.position(first.line)
    plain = Plain(
        "HL01 numbering the set's levels from 1",
        f"levels numbered from {first.get('01')} (read by their parent ids in HL02)",
    )
    tx.warnings.append(X12Error(first.line, "HL", "", "HL01", plain, "HL1", line, column))
