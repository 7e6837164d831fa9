"""ICD-10-CM validity against the real code table (simple-icd-10-cm, April 2026 release).

A claim may carry only billable codes (leaves of the tabular list). A category such as
F33 is a valid ICD-10-CM item but not billable; the refusal names its billable children
so the coder can pick one.

The library parses its XML on import (about 1.6 s), and every process that validates a
claim needs the table: the main process and each worker that checks chunks. So the tree is
kept, once per library version, as a small text file (code and parent) in the user's cache
folder, and later processes read that instead (tens of milliseconds). The library stays
the source: the cache is derived from it and rebuilt when it is missing or damaged.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType

_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")
_LIBRARY = "simple-icd-10-cm"
_HEADER = "# claimguard icd10cm table"


@dataclass
class CodeTable:
    """The tabular list as a tree: every item (chapter, block, category, code) and its parent."""

    parent: dict[str, str]
    children: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for code, parent in self.parent.items():  # insertion order is tabular order
            if parent:
                self.children.setdefault(parent, []).append(code)

    def is_valid(self, code: str) -> bool:
        return code in self.parent

    def is_leaf(self, code: str) -> bool:
        return code in self.parent and code not in self.children

    def ancestors(self, code: str) -> list[str]:
        found: list[str] = []
        while (parent := self.parent.get(code, "")) and parent not in found:
            found.append(parent)
            code = parent
        return found

    def leaves_under(self, code: str) -> list[str]:
        leaves: list[str] = []
        for child in self.children.get(code, []):
            leaves.extend(self.leaves_under(child) if child in self.children else [child])
        return leaves


@lru_cache(maxsize=1)
def _table() -> CodeTable:
    version = importlib.metadata.version(_LIBRARY)
    path = cache_path(version)
    table = _read_cache(path, version) if path is not None else None
    if table is None:
        table = _from_library()
        if path is not None:
            _write_cache(path, version, table)
    return table


def cache_path(version: str) -> Path | None:
    """Where the table for this library version is kept (None: keep nothing on disk)."""
    folder = os.environ.get("CLAIMGUARD_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "claimguard"
    )
    if folder.lower() in ("off", "none"):
        return None
    return Path(folder) / f"icd10cm-{version}.tsv"


def _library() -> ModuleType:
    # The library reads its data with a deprecated importlib call; that is its business.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    module: ModuleType = simple_icd_10_cm
    return module


def _from_library() -> CodeTable:
    library = _library()
    parent: dict[str, str] = {}
    for code in library.get_all_codes(True):
        # A few blocks hold one category of the same name (block B10 holds category B10);
        # the library lists the name twice. One node stands for both, under the chapter.
        # The library answers by name, so that name is its own parent there: skip past it.
        up = library.get_parent(code)
        if up == code:
            up = next((a for a in library.get_ancestors(code) if a != code), "")
        parent.setdefault(code, up)
    return CodeTable(parent)


def _read_cache(path: Path, version: str) -> CodeTable | None:
    try:
        header, *lines = path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    # The header carries the version and the count: a cache from another version, or
    # one cut short, is not used.
    if header != f"{_HEADER} {version} {len(lines)}":
        return None
    parent: dict[str, str] = {}
    for line in lines:
        code, tab, up = line.partition("\t")
        if not tab or not code:
            return None
        parent[code] = up
    return CodeTable(parent)


def _write_cache(path: Path, version: str, table: CodeTable) -> None:
    body = "".join(f"{code}\t{up}\n" for code, up in table.parent.items())
    text = f"{_HEADER} {version} {len(table.parent)}\n{body}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: processes starting together never read half a file.
        with tempfile.NamedTemporaryFile(
            "w", encoding="ascii", dir=path.parent, delete=False, suffix=".tmp"
        ) as handle:
            handle.write(text)
        os.replace(handle.name, path)
    except OSError:
        pass  # no writable cache folder: every process reads the library, as before


def normalize(code: str) -> str:
    """Return the code upper-cased with its dot (F331 -> F33.1)."""
    raw = code.strip().upper().replace(".", "")
    return raw if len(raw) <= 3 else f"{raw[:3]}.{raw[3:]}"


@lru_cache(maxsize=65536)
def problem(code: str) -> str | None:
    """Say why `code` cannot go on a claim, or None when it is a billable ICD-10-CM code."""
    if not _SHAPE.match(code.strip().upper()):
        return "not shaped like an ICD-10-CM code (letter, digit, digit or letter, then up to 4)"
    table = _table()
    dotted = normalize(code)
    if not table.is_valid(dotted):
        return "not in the ICD-10-CM code table (April 2026 release)"
    if table.is_leaf(dotted):
        return None
    return f"a category, not billable; use a billable code under it: {_leaf_hint(dotted)}"


def _leaf_hint(code: str) -> str:
    leaves = _table().leaves_under(code)
    if len(leaves) <= 6:
        return ", ".join(leaves)
    return f"{leaves[0]} to {leaves[-1]} ({len(leaves)} codes)"


def chapter_block(code: str) -> str:
    """Return the block a billable code sits in (F33.1 -> F30-F39)."""
    ancestors = _table().ancestors(normalize(code))
    return ancestors[-2] if len(ancestors) >= 2 else ""
