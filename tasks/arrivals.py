"""Which files in an inbox are finished and may be read, and what becomes of the others.

A producer should write a file under a temporary name and rename it once it is complete
(`claims.jsonl.part` renamed `claims.jsonl`; SFTP servers and clients commonly do this), or
drop an empty marker beside it when it is done (`claims.jsonl.done`). A file with neither is
taken once it has been quiet for the quiet interval: its size and modification time
unchanged for that long. What is not ready waits for a later run; what is not an intake
file at all (compressed, another format) is refused with a reason and moved to failed/,
so every file in the inbox is accounted for.

A file is stamped (size, modification time, inode) when it is taken; the same stamp after
reading it shows it did not change meanwhile (`changed_since`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tasks.inbox import FileKind, file_kind
from tasks.intake.reader import PACKET_SUFFIXES
from tasks.x12.reader import X12_SUFFIXES

# How a file still being uploaded is commonly named.
IN_PROGRESS_SUFFIXES = (".part", ".partial", ".filepart", ".tmp", ".crdownload", ".uploading")
DONE_SUFFIX = ".done"
COMPRESSED = {
    ".gz": "gzip",
    ".tgz": "gzip",
    ".zip": "zip",
    ".bz2": "bzip2",
    ".xz": "xz",
    ".zst": "zstd",
    ".7z": "7-Zip",
    ".rar": "RAR",
    ".tar": "tar",
}
ACCEPTED = ", ".join(dict.fromkeys((*PACKET_SUFFIXES, *X12_SUFFIXES)))


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What changes when a file is written to, truncated or replaced."""

    size: int
    mtime_ns: int
    inode: int


def stamp(path: Path) -> FileStamp | None:
    """The file's stamp now; None when it is gone."""
    try:
        found = path.stat()
    except OSError:
        return None
    return FileStamp(found.st_size, found.st_mtime_ns, found.st_ino)


def changed_since(path: Path, taken: FileStamp) -> str | None:
    """Why the file is no longer what was taken, in a biller's words; None when it is."""
    now = stamp(path)
    if now is None:
        return "it was removed while it was read"
    if now.inode != taken.inode:
        return "it was replaced while it was read"
    if now.size != taken.size:
        return f"it changed size while it was read ({taken.size:,} to {now.size:,} bytes)"
    if now.mtime_ns != taken.mtime_ns:
        return "it was written to while it was read"
    return None


@dataclass(frozen=True, slots=True)
class Arrival:
    """A finished intake file, as it was when taken."""

    path: Path
    kind: FileKind
    stamp: FileStamp


@dataclass(frozen=True, slots=True)
class NotReady:
    """A file left where it is (`waiting`) or refused (moved to failed/), and why."""

    path: Path
    reason: str


@dataclass
class Survey:
    claims: list[Arrival] = field(default_factory=list)  # JSON packets first, then 837P
    remittances: list[Arrival] = field(default_factory=list)
    waiting: list[NotReady] = field(default_factory=list)
    refused: list[NotReady] = field(default_factory=list)


def survey(
    folder: Path,
    *,
    quiet_seconds: float,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Survey:
    """Sort the files in `folder` (not its sub-folders) into ready, waiting and refused.

    A file written to in the last `quiet_seconds` is watched until it has been quiet that
    long (waiting once, at most `quiet_seconds`, for all of them); one still changing then
    is left for a later run.
    """
    found = Survey()
    names = {p.name for p in folder.iterdir()}
    candidates: list[tuple[Path, FileKind, FileStamp]] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        sorted_into = _sort_one(path, names)
        if isinstance(sorted_into, NotReady):
            (found.waiting if _waits(path) else found.refused).append(sorted_into)
        elif sorted_into is not None:
            taken = stamp(path)
            if taken is not None:
                candidates.append((path, sorted_into, taken))
    ready = _quiet(candidates, names, quiet_seconds, clock, sleep, found.waiting)
    for path, kind, taken in sorted(ready, key=lambda c: (c[1] is not FileKind.PACKET, c[0].name)):
        arrival = Arrival(path, kind, taken)
        (found.remittances if kind is FileKind.REMITTANCE_835 else found.claims).append(arrival)
    return found


def _sort_one(path: Path, names: set[str]) -> FileKind | NotReady | None:
    """The file's kind if it may be an intake file; why not otherwise; None to pass it over."""
    name, suffix = path.name, path.suffix.lower()
    if name.startswith("."):
        return None  # hidden: an upload in progress on some servers, or the system's own
    if suffix == DONE_SUFFIX:
        return (
            None
            if path.stem in names
            else NotReady(path, "a done marker for a file that is not here")
        )
    if suffix in IN_PROGRESS_SUFFIXES:
        return NotReady(path, f"still being uploaded (named {suffix}); read once it is renamed")
    if suffix == ".txt" and name.endswith(".reason.txt"):
        return None
    if suffix in COMPRESSED:
        return NotReady(
            path,
            f"a compressed file ({COMPRESSED[suffix]}); unpack it into the inbox to have it read",
        )
    kind = file_kind(path)
    if kind is None:
        what = f"a {suffix} file" if suffix else "a file with no extension"
        return NotReady(path, f"{what} is not an intake file; ClaimGuard reads {ACCEPTED}")
    return kind


def _waits(path: Path) -> bool:
    """Whether a file that is not ready waits in the inbox (else it is refused)."""
    return path.suffix.lower() in (*IN_PROGRESS_SUFFIXES, DONE_SUFFIX)


def _quiet(
    candidates: list[tuple[Path, FileKind, FileStamp]],
    names: set[str],
    quiet_seconds: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    waiting: list[NotReady],
) -> list[tuple[Path, FileKind, FileStamp]]:
    """The candidates that are done: marked so, or quiet for `quiet_seconds`."""
    now = clock()
    young = [
        c
        for c in candidates
        if c[0].name + DONE_SUFFIX not in names and now - c[2].mtime_ns / 1e9 < quiet_seconds
    ]
    if not young:
        return candidates
    newest = max(c[2].mtime_ns for c in young) / 1e9
    sleep(max(0.0, min(quiet_seconds, newest + quiet_seconds - now)))
    unsettled = set()
    for path, _kind, taken in young:
        again = stamp(path)
        if again != taken:
            unsettled.add(path)
            waiting.append(
                NotReady(
                    path,
                    f"still being written (changed in the last {quiet_seconds:g} s); "
                    "read once it is finished",
                )
            )
    return [c for c in candidates if c[0] not in unsettled]
