"""Reading X12 files ahead in other processes: the loader gets what reading them itself would give."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tasks.settings import Settings, cache_folder
from tasks.x12.readahead import READ_HERE, ReadAhead, reading_ahead
from tasks.x12.reader import X12FileError, read

CACHE = cache_folder(Settings())  # the workers' code tables, as every entry point passes them

FIXTURES = Path(__file__).parents[2] / "fixtures" / "x12"
VALID = FIXTURES / "demo.example1.837"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    paths = [tmp_path / "a.837", tmp_path / "b.837"]
    for path in paths:
        path.write_bytes(VALID.read_bytes())
    return paths


class TestReadAhead:
    def test_a_file_read_ahead_is_the_document_read_here(self, files: list[Path]):
        """The sets, segments and errors read in a worker equal those read in this process."""
        ahead = ReadAhead(files, workers=2, code_cache=CACHE)
        try:
            document = ahead.take(files[1], _digest(files[1]))
        finally:
            ahead.close()
        here = read(files[1].read_bytes())
        assert document is not None
        assert [tx.text() for tx in document.sets] == [tx.text() for tx in here.sets]
        assert [tx.errors for tx in document.sets] == [tx.errors for tx in here.sets]

    def test_a_file_changed_after_it_was_read_is_read_again(self, files: list[Path]):
        """The loader's own bytes decide: other bytes than the worker read are not taken."""
        ahead = ReadAhead(files, workers=2, code_cache=CACHE)
        try:
            assert ahead.take(files[0], "0" * 64) is None
        finally:
            ahead.close()

    def test_a_file_that_is_not_x12_fails_as_reading_it_here_would(self, tmp_path: Path):
        """The worker's refusal reaches the loader as the same X12FileError."""
        bad = [tmp_path / "a.837", tmp_path / "b.837"]
        for path in bad:
            path.write_bytes(b"ISA*00*garbage~")
        with pytest.raises(X12FileError) as here:
            read(bad[0].read_bytes())
        ahead = ReadAhead(bad, workers=2, code_cache=CACHE)
        try:
            with pytest.raises(X12FileError) as there:
                ahead.take(bad[0], _digest(bad[0]))
        finally:
            ahead.close()
        assert str(there.value) == str(here.value)


def test_a_file_not_read_ahead_is_read_when_asked_for(files: list[Path]):
    """A read-ahead asked for a file it was not given reads it in this process."""
    data = files[0].read_bytes()
    ahead = ReadAhead(files[1:], workers=2, code_cache=CACHE)
    try:
        document = ahead.document(files[0], data, _digest(files[0]))
    finally:
        ahead.close()
    assert [tx.text() for tx in document.sets] == [tx.text() for tx in read(data).sets]


def test_reading_here_is_plain_read(files: list[Path]):
    """The default source reads the bytes it is given, in this process."""
    data = files[0].read_bytes()
    document = READ_HERE.document(files[0], data, _digest(files[0]))
    assert [tx.text() for tx in document.sets] == [tx.text() for tx in read(data).sets]


def test_one_file_or_one_worker_starts_no_processes(files: list[Path]):
    """Nothing to overlap: the block reads in this process."""
    with reading_ahead(files[:1], workers=2, code_cache=CACHE) as documents:
        assert documents is READ_HERE
    with reading_ahead(files, workers=1, code_cache=CACHE) as documents:
        assert documents is READ_HERE
    with reading_ahead(files, workers=2, code_cache=CACHE) as documents:
        assert isinstance(documents, ReadAhead)
