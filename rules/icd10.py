"""ICD-10-CM validity against the real code table (simple-icd-10-cm, April 2026 release).

A claim may carry only billable codes (leaves of the tabular list). A category such as
F33 is a valid ICD-10-CM item but not billable; the refusal names its billable children
so the coder can pick one.

The table is a tree of codes and parents built from the library. The library parses its
XML on import (about 1.6 s, in every process that validates a claim), so the side that
owns files may give a faster source of the same tree (`set_table_source`; tasks/ keeps it
in a cache file).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType

_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")


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


_source: Callable[[], CodeTable] | None = None


def set_table_source(source: Callable[[], CodeTable] | None) -> None:
    """Where the table comes from (None: straight from the library)."""
    global _source
    _source = source
    _table.cache_clear()
    problem.cache_clear()


@lru_cache(maxsize=1)
def _table() -> CodeTable:
    return _source() if _source is not None else from_library()


def load_table() -> None:
    """Read the code table now rather than at the first diagnosis checked."""
    _table()


def library() -> ModuleType:
    # The library reads its data with a deprecated importlib call; that is its business.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    module: ModuleType = simple_icd_10_cm
    return module


def from_library() -> CodeTable:
    """The tree as the library has it."""
    codes = library()
    parent: dict[str, str] = {}
    for code in codes.get_all_codes(True):
        # A few blocks hold one category of the same name (block B10 holds category B10);
        # the library lists the name twice. One node stands for both, under the chapter.
        # The library answers by name, so that name is its own parent there: skip past it.
        up = codes.get_parent(code)
        if up == code:
            up = next((a for a in codes.get_ancestors(code) if a != code), "")
        parent.setdefault(code, up)
    return CodeTable(parent)


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
