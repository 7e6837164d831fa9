"""Rows sorted without holding them all: an external merge sort for the work queues.

The appeals queue is ordered by what is at stake, which is known only once every audited
line has been read. A year of claims has hundreds of thousands of lines worth appealing; a
spool keeps one run of them in memory, writes each full run sorted to a temporary file, and
merges the runs as it is read.
"""

from __future__ import annotations

import heapq
import pickle
import tempfile
from collections.abc import Iterator
from itertools import count
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, Generic, TypeVar

T = TypeVar("T")
RUN = 10_000  # rows per run in memory: some 15 MB of appeal rows


class SortedSpool(Generic[T]):
    """Add items with their sort keys in any order; iterate the items in key order (ties
    in the order they came). Keys and items must pickle; `close()` (or
    `contextlib.closing`) removes the spilled runs."""

    def __init__(self, *, run: int | None = None) -> None:
        self._size = run or RUN
        self._run: list[tuple[Any, int, T]] = []
        self._order = count()
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._runs: list[Path] = []
        self.total = 0

    def add(self, key: Any, item: T) -> None:
        self._run.append((key, next(self._order), item))
        self.total += 1
        if len(self._run) >= self._size:
            self._spill()

    def __iter__(self) -> Iterator[T]:
        self._run.sort(key=itemgetter(0, 1))
        runs = [self._read(path) for path in self._runs] + [iter(self._run)]
        for _, _, item in heapq.merge(*runs, key=itemgetter(0, 1)):
            yield item

    def close(self) -> None:
        self._run = []
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
        self._runs = []

    def _spill(self) -> None:
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="claimguard-spool-")
        self._run.sort(key=itemgetter(0, 1))
        path = Path(self._folder.name) / f"run-{len(self._runs):05d}"
        with path.open("wb") as handle:
            for entry in self._run:
                pickle.dump(entry, handle, protocol=pickle.HIGHEST_PROTOCOL)
        self._runs.append(path)
        self._run = []

    @staticmethod
    def _read(path: Path) -> Iterator[tuple[Any, int, Any]]:
        with path.open("rb") as handle:
            yield from _entries(handle)


def _entries(handle: BinaryIO) -> Iterator[tuple[Any, int, Any]]:
    while True:
        try:
            yield pickle.load(handle)  # only files this spool wrote, in its own folder
        except EOFError:
            return
