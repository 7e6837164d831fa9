"""The inbox takes finished files only, and accounts for every other file with a reason."""

from __future__ import annotations

import os
from pathlib import Path

from tasks.arrivals import changed_since, stamp, survey
from tasks.inbox import FileKind
from tests import builders as b

X12 = Path(__file__).parents[1] / "fixtures" / "x12"
QUIET = 10.0


class Clock:
    """Wall time for the survey: starts at the newest file's time, moves only when slept."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _age(path: Path, seconds_ago: float, now: float) -> None:
    os.utime(path, (now - seconds_ago, now - seconds_ago))


def _packet(folder: Path, name: str) -> Path:
    return b.write_jsonl(folder / name, b.master())


def test_unfinished_and_foreign_files_are_accounted_for(tmp_path: Path):
    """Uploads in progress wait; compressed and unknown files are refused with what to do;
    hidden files and reason files are passed over; finished files are ready."""
    now = 2_000_000_000.0
    ready = _packet(tmp_path, "master.jsonl")
    (tmp_path / "claims.jsonl.part").write_text("{}\n")
    (tmp_path / "week.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7")
    (tmp_path / ".claims.jsonl.swp").write_text("x")
    (tmp_path / "orphan.jsonl.done").write_text("")
    for path in tmp_path.iterdir():
        _age(path, 60, now)
    clock = Clock(now)
    found = survey(tmp_path, quiet_seconds=QUIET, clock=clock, sleep=clock.sleep)
    assert [a.path for a in found.claims] == [ready]
    assert {p.path.name: p.reason for p in found.refused} == {
        "week.jsonl.gz": "a compressed file (gzip); unpack it into the inbox to have it read",
        "scan.pdf": "a .pdf file is not an intake file; ClaimGuard reads "
        ".jsonl, .ndjson, .json, .837, .835, .x12, .edi, .txt",
    }
    assert {p.path.name: p.reason for p in found.waiting} == {
        "claims.jsonl.part": "still being uploaded (named .part); read once it is renamed",
        "orphan.jsonl.done": "a done marker for a file that is not here",
    }
    assert clock.slept == []  # every file was already quiet


def test_a_file_still_growing_waits(tmp_path: Path):
    """A file written to during the quiet interval is left for a later run."""
    now = 2_000_000_000.0
    growing = _packet(tmp_path, "claims.jsonl")
    _age(growing, 2, now)
    clock = Clock(now)

    def sleep_while_written(seconds: float) -> None:
        clock.sleep(seconds)
        with growing.open("a") as handle:
            handle.write('{"type": "payer"}\n')

    found = survey(tmp_path, quiet_seconds=QUIET, clock=clock, sleep=sleep_while_written)
    assert found.claims == []
    assert [(p.path, p.reason) for p in found.waiting] == [
        (growing, "still being written (changed in the last 10 s); read once it is finished")
    ]
    assert clock.slept == [8.0]  # until the file would have been quiet 10 s


def test_a_young_file_that_stays_quiet_is_read(tmp_path: Path):
    """Watched until quiet and unchanged, it is taken, with one wait for all young files."""
    now = 2_000_000_000.0
    first, second = _packet(tmp_path, "a.jsonl"), _packet(tmp_path, "b.jsonl")
    _age(first, 1, now)
    _age(second, 4, now)
    clock = Clock(now)
    found = survey(tmp_path, quiet_seconds=QUIET, clock=clock, sleep=clock.sleep)
    assert [a.path for a in found.claims] == [first, second]
    assert clock.slept == [9.0]


def test_a_done_marker_makes_a_file_ready_at_once(tmp_path: Path):
    now = 2_000_000_000.0
    packet = _packet(tmp_path, "claims.jsonl")
    (tmp_path / "claims.jsonl.done").write_text("")
    _age(packet, 0, now)
    clock = Clock(now)
    found = survey(tmp_path, quiet_seconds=QUIET, clock=clock, sleep=clock.sleep)
    assert [a.path for a in found.claims] == [packet] and clock.slept == []


def test_claims_before_x12_and_remittances_apart(tmp_path: Path):
    """JSON packets first (837P claims refer to their master data), 835s in their own list."""
    claims = tmp_path / "a.837"
    claims.write_bytes((X12 / "demo.example1.837").read_bytes())
    remit = tmp_path / "m.835"
    remit.write_bytes(next(X12.glob("*.835")).read_bytes())
    packet = _packet(tmp_path, "z.jsonl")
    found = survey(tmp_path, quiet_seconds=0)
    assert [(a.path, a.kind) for a in found.claims] == [
        (packet, FileKind.PACKET),
        (claims, FileKind.CLAIMS_837),
    ]
    assert [a.path for a in found.remittances] == [remit]


def test_a_change_after_taking_is_named(tmp_path: Path):
    """Appended, truncated, replaced or removed after it was taken: each is told apart."""
    packet = _packet(tmp_path, "claims.jsonl")
    taken = stamp(packet)
    assert taken is not None and changed_since(packet, taken) is None
    with packet.open("a") as handle:
        handle.write("{}\n")
    assert (changed_since(packet, taken) or "").startswith("it changed size while it was read")
    replacement = _packet(tmp_path, "new.jsonl")
    taken = stamp(packet)
    assert taken is not None
    os.replace(replacement, packet)
    assert changed_since(packet, taken) == "it was replaced while it was read"
    packet.unlink()
    assert changed_since(packet, taken) == "it was removed while it was read"
