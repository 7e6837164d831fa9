"""The spool sorts more rows than it keeps in memory: runs spill to disk and merge back."""

from __future__ import annotations

import random
from contextlib import closing
from pathlib import Path

from tasks.reports.spool import SortedSpool


def test_rows_come_back_in_key_order_across_runs():
    keys = list(range(1000))
    random.Random(7).shuffle(keys)
    with closing(SortedSpool[str](run=64)) as spool:
        for key in keys:
            spool.add(key, f"row-{key}")
        assert spool.total == 1000
        assert list(spool) == [f"row-{k}" for k in range(1000)]


def test_equal_keys_keep_the_order_they_came_in():
    with closing(SortedSpool[str](run=2)) as spool:
        for n, key in enumerate([1, 0, 1, 0, 1]):
            spool.add(key, f"{key}-{n}")
        assert list(spool) == ["0-1", "0-3", "1-0", "1-2", "1-4"]


def test_its_files_are_gone_once_it_is_closed():
    with closing(SortedSpool[int](run=10)) as spool:
        for n in range(25):
            spool.add(-n, n)
        folder = Path(spool._folder.name) if spool._folder else None
        assert folder is not None and len(list(folder.iterdir())) == 2  # two full runs spilled
    assert not folder.exists()


def test_an_empty_spool_yields_nothing():
    with closing(SortedSpool[int]()) as spool:
        assert list(spool) == [] and spool.total == 0
