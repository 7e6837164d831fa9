"""The inbox: which files are intake files and of what kind, loading or posting each one, and
filing it away once read.

The one place that knows both readers: JSON packets (`tasks.intake`) and X12 (`tasks.x12`,
`tasks.remit`). The flows, the plain pipeline and the CLI all come through here.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine

from tasks.files import private_dir, private_file, private_open
from tasks.intake.loader import BATCH_SIZE, FileReport, load_records
from tasks.intake.reader import PACKET_SUFFIXES, Parsed, iter_raw, parse
from tasks.intake.resolver import Resolver
from tasks.remit.post import RemitFileReport, post_file
from tasks.transient import SourceReadError
from tasks.x12.intake837 import parsed_records
from tasks.x12.readahead import READ_HERE, DocumentSource, reading_ahead
from tasks.x12.reader import X12_SUFFIXES, sniff

PACKET_FORMAT = "claimguard.packet/1"


class FileKind(StrEnum):
    """What a file in the inbox holds, by its suffix and first bytes."""

    PACKET = "json"
    CLAIMS_837 = "837"
    REMITTANCE_835 = "835"
    OTHER_X12 = "x12"  # another X12 transaction, or an X12 file too damaged to tell


class FileOutcome(StrEnum):
    """What became of a file in the inbox: moved to the sub-folder of that name, or left."""

    PROCESSED = "processed"
    FAILED = "failed"
    WAITING = "waiting"  # left in the inbox for a later run: unfinished, or changed while read


def file_kind(path: Path) -> FileKind | None:
    """The kind of an intake file; None for a file that is not one."""
    suffix = path.suffix.lower()
    if suffix in PACKET_SUFFIXES:
        return FileKind.PACKET
    if suffix not in X12_SUFFIXES:
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return FileKind.OTHER_X12
    kind = sniff(head)
    if kind is None:
        return FileKind.OTHER_X12 if suffix != ".txt" else None
    return FileKind(kind)


def packet_files(paths: Iterable[Path], *, remittances: bool = False) -> list[Path]:
    """Expand folders into their intake files, sorted by name (master data files first).

    Claim files are JSON packets and 837P files; 835 remittances are posted, not loaded as
    claims, so a folder's 835s are listed only when `remittances` is asked for (alone).
    """
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)  # a file named on purpose is read, whatever it turns out to be
            continue
        for candidate in sorted(p for p in path.iterdir() if p.is_file()):
            kind = file_kind(candidate)
            if kind is not None and (kind is FileKind.REMITTANCE_835) == remittances:
                found.append(candidate)
    # JSON (master data, sessions, notes) before X12, so 837P claims find what they link to.
    if len(found) < 2:
        return found
    return sorted(found, key=lambda p: (file_kind(p) is not FileKind.PACKET, p.name))


def x12_files(paths: Iterable[Path]) -> list[Path]:
    """The X12 files among `paths`, in their order (what is worth reading ahead)."""
    return [p for p in paths if file_kind(p) not in (None, FileKind.PACKET)]


def load_paths(
    engine: Engine,
    paths: Iterable[Path],
    *,
    batch_size: int = BATCH_SIZE,
    workers: int = 1,
    documents: DocumentSource | None = None,
    code_cache: Path | None = None,
    on_file: Callable[[FileReport], None] | None = None,
) -> list[FileReport]:
    """Load every packet file under `paths`; one resolver keeps reference facts across files.

    X12 documents come from `documents` when given; else, with workers > 1, X12 files are
    read ahead in other processes (their code tables from `code_cache`) while earlier
    files load. `on_file` hears of each file as it is done (a progress display).
    """
    resolver = Resolver()
    files = packet_files(paths)
    reports = []
    with _documents_for(files, workers, documents, code_cache) as source:
        for path in files:
            reports.append(
                load_file(engine, path, resolver=resolver, batch_size=batch_size, documents=source)
            )
            if on_file is not None:
                on_file(reports[-1])
    return reports


def load_file(
    engine: Engine,
    path: Path,
    *,
    resolver: Resolver | None = None,
    batch_size: int = BATCH_SIZE,
    documents: DocumentSource = READ_HERE,
) -> FileReport:
    """Load one claim file (a JSON packet or an 837P); counts always reconcile."""
    kind = file_kind(path)
    x12 = path.suffix.lower() in X12_SUFFIXES
    notes: list[str] = []
    records = parsed_records(path, engine, documents, notes) if x12 else _json_records(path)
    return load_records(
        engine,
        path,
        _read_or_retry(path, records),
        source="x12" if x12 else "json",
        file_format=PACKET_FORMAT if kind in (None, FileKind.PACKET) else f"x12/{kind}",
        resolver=resolver,
        batch_size=batch_size,
        notes=notes,
    )


def post_files(
    engine: Engine,
    paths: Iterable[Path],
    *,
    workers: int = 1,
    documents: DocumentSource | None = None,
    code_cache: Path | None = None,
) -> list[RemitFileReport]:
    """Post every 835 under `paths`, from `documents` or read ahead by `workers` processes."""
    files = packet_files(paths, remittances=True)
    with _documents_for(files, workers, documents, code_cache) as source:
        return [post_file(engine, path, source) for path in files]


@contextmanager
def _documents_for(
    files: list[Path], workers: int, given: DocumentSource | None, code_cache: Path | None
) -> Iterator[DocumentSource]:
    if given is not None:
        yield given
        return
    with reading_ahead(x12_files(files), workers, code_cache=code_cache) as documents:
        yield documents


def _json_records(path: Path) -> Iterator[Parsed]:
    for raw in iter_raw(path):
        yield parse(raw)


def _read_or_retry(path: Path, records: Iterator[Parsed]) -> Iterator[Parsed]:
    try:
        yield from records
    except OSError as error:
        # The file went away or became unreadable mid-read: what was read stands, and
        # the failure surfaces to the caller (a transient source error for the flow).
        # The file's name stays out of the message: it reaches Prefect, and a name may be a
        # patient's.
        raise SourceReadError(f"the file could not be read ({error.strerror or 'error'})") from None


def file_away(path: Path, outcome: FileOutcome, reason: str) -> Path:
    """Move a read file to processed/ or failed/ beside it (with a .reason.txt) so it is read
    once; its done marker, if it had one, goes with it. A waiting file stays where it is."""
    if outcome is FileOutcome.WAITING:
        return path
    target_dir = private_dir(path.parent / outcome.value)
    target = target_dir / path.name
    if target.exists():
        target = target_dir / f"{path.stem}.{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}{path.suffix}"
    shutil.move(str(path), target)
    private_file(target)  # it holds patient data, whatever mode it arrived with
    path.with_name(path.name + ".done").unlink(missing_ok=True)
    if reason:
        with private_open(target.with_name(target.name + ".reason.txt")) as handle:
            handle.write(reason + "\n")
    return target
