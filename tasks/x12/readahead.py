"""Read X12 files ahead, in worker processes, while the files before them load.

pyx12's validation is CPU-bound Python (about 200 claims a second per core for an 837P), and
one file's reading does not depend on another's, so a second core reads the next file while
this one is mapped and written. The loader asks for a file's document by its path and the
SHA-256 of the bytes it read itself: a file that changed after it was read ahead is read
again here, so what loads is always what the loader hashed.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path
from typing import Protocol

from tasks import startup
from tasks.x12.reader import X12Document, X12FileError, read

# (sha256 of the bytes read, the document, or the reason the file is not X12)
_Read = tuple[str, X12Document | None, str | None]


def _read_file(path: Path) -> _Read:
    try:
        data = path.read_bytes()
    except OSError:
        return "", None, None  # the loader reads it itself and reports the failure
    digest = hashlib.sha256(data).hexdigest()
    try:
        return digest, read(data), None
    except X12FileError as error:
        return digest, None, str(error)


class DocumentSource(Protocol):
    """Where the loader and the poster get a file's validated X12 document from."""

    def document(self, path: Path, data: bytes, digest: str) -> X12Document:
        """The document of these bytes of `path` (`digest` is their SHA-256)."""
        ...


class ReadHere:
    """Every document read in this process, when asked for."""

    def document(self, path: Path, data: bytes, digest: str) -> X12Document:
        return read(data)


READ_HERE = ReadHere()


class ReadAhead:
    """At most `workers` files read ahead at a time, in file order."""

    def __init__(self, paths: Sequence[Path], workers: int, *, code_cache: Path | None) -> None:
        self._pending = deque(paths)
        self._workers = workers
        self._futures: dict[Path, Future[_Read]] = {}
        # spawn: a forked child would inherit the parent's database connections.
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=get_context("spawn"),
            initializer=startup.settle,
            initargs=(code_cache,),
        )
        self._fill()

    def _fill(self) -> None:
        while self._pending and len(self._futures) < self._workers:
            path = self._pending.popleft()
            self._futures[path] = self._pool.submit(_read_file, path)

    def take(self, path: Path, digest: str) -> X12Document | None:
        """The document read ahead for these bytes of `path`; None if it was not (or they changed)."""
        future = self._futures.pop(path, None)
        self._fill()
        if future is None:
            return None
        read_digest, document, error = future.result()
        if read_digest != digest:
            return None
        if error is not None:
            raise X12FileError(error)
        return document

    def document(self, path: Path, data: bytes, digest: str) -> X12Document:
        """The document read ahead for these bytes, else read here."""
        return self.take(path, digest) or read(data)

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


@contextmanager
def reading_ahead(
    x12_paths: Sequence[Path], workers: int, *, code_cache: Path | None
) -> Iterator[DocumentSource]:
    """A source that reads `x12_paths` ahead in `workers` processes (their code tables from
    `code_cache`), in their order, while the caller works on the ones before; in this
    process when there is nothing to overlap."""
    if workers < 2 or len(x12_paths) < 2:
        yield READ_HERE  # one file, or one core: nothing to overlap with
        return
    ahead = ReadAhead(x12_paths, workers, code_cache=code_cache)
    try:
        yield ahead
    finally:
        ahead.close()
