"""Text fit to store and show: no undecodable bytes, no control characters.

A file name is bytes to the operating system; one that is not UTF-8 (a Latin-1 "Müller")
reaches Python as lone surrogates, which no database, terminal or Prefect artifact takes.
Control characters (NUL, ESC, the C1 range) in a file name or a refused record would
corrupt a terminal or be refused by PostgreSQL.
"""

from __future__ import annotations

import re
from pathlib import Path

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with every control character and undecodable byte shown as '?'."""
    return _UNPRINTABLE.sub("?", text)


def printable_path(path: Path | str) -> str:
    return printable(str(path))


_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


def withhold_quoted(text: str) -> str:
    """`text` with every quoted value withheld: a database server or parser quotes the
    value it refused, and the value may be a patient's."""
    return printable(_QUOTED.sub('"…"', text))


def storable(text: str) -> str:
    """`text` as a database column takes it: NUL written as \\x00, undecodable bytes as '?'."""
    return re.sub(r"[\ud800-\udfff]", "?", text.replace("\x00", "\\x00"))
