"""How alike two patients' notes are, for finding cloned documentation.

Method (documented in the catalog): take the individual part of each note (participation
and response; the shared group summary is allowed to be the same), lower-case it, drop
the names of the session's participants, numbers and dates, split into words, and compare
the sets of consecutive word triples (3-shingles) by Jaccard similarity: shared triples
over all triples. Copy-pasted notes with names swapped score 1.0; notes written for each
patient share a few stock phrases and score well under 0.5. Notes at or above the
threshold (0.80 by default) are reported as clones, naming the matching note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")


def shingles(text: str, *, drop: Iterable[str] = (), size: int = 3) -> frozenset[tuple[str, ...]]:
    """The set of `size`-word runs in `text`, ignoring case, digits and the words in `drop`."""
    return shingles_without(text, frozenset(d.lower() for d in drop), size)


# Each note is compared with every other note of its session, from each side: caching the
# shingles of a (text, names) pair makes a session cost n shingle sets instead of n squared.
@lru_cache(maxsize=16384)
def shingles_without(
    text: str, dropped: frozenset[str], size: int = 3
) -> frozenset[tuple[str, ...]]:
    """shingles(), with the dropped words already a lower-case frozenset (the cached hot path)."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in dropped]
    if len(words) < size:
        return frozenset({tuple(words)}) if words else frozenset()
    # zip over the word list at `size` offsets: the runs, built without a slice per word.
    return frozenset(zip(*(words[i:] for i in range(size)), strict=False))


def jaccard(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    """Shared over all; two empty texts are not alike (0.0), so missing text is not a clone."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)
