"""ICD-10-CM validity against the real code table (simple-icd-10-cm, April 2026 release).

A claim may carry only billable codes (leaves of the tabular list). A category such as
F33 is a valid ICD-10-CM item but not billable; the refusal names its billable children
so the coder can pick one.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from types import ModuleType

_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")


@lru_cache(maxsize=1)
def _table() -> ModuleType:
    # Imported lazily: loading the table costs ~1.5 s, which only intake and checks need.
    # The library reads its data with a deprecated importlib call; that is its business.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    module: ModuleType = simple_icd_10_cm
    return module


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
    if not table.is_valid_item(dotted):
        return "not in the ICD-10-CM code table (April 2026 release)"
    if table.is_leaf(dotted):
        return None
    return f"a category, not billable; use a billable code under it: {_leaf_hint(dotted)}"


def _leaf_hint(code: str) -> str:
    leaves = [c for c in _table().get_descendants(code) if _table().is_leaf(c)]
    if len(leaves) <= 6:
        return ", ".join(leaves)
    return f"{leaves[0]} to {leaves[-1]} ({len(leaves)} codes)"


def chapter_block(code: str) -> str:
    """Return the block a billable code sits in (F33.1 -> F30-F39)."""
    ancestors = _table().get_ancestors(normalize(code))
    return str(ancestors[-2]) if len(ancestors) >= 2 else ""
