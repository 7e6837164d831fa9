"""Progress of long work: rate and time left, and plain lines at a steady pace."""

from __future__ import annotations

import io
import itertools

from rich.console import Console

from flows.progress import LINE_SECONDS, Meter, shown


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_meter_says_done_rate_and_time_left():
    clock = Clock()
    meter = Meter(10, "chunks", clock=clock)
    assert meter.line() == "0 of 10 chunks (0 %)"
    clock.now += 4
    meter.advance(2)
    assert meter.line("file.jsonl") == (
        "2 of 10 chunks (20 %), 0.5 chunks/s, about 16 s left: file.jsonl"
    )
    clock.now += 400
    meter.advance(8)
    assert meter.line() == "10 of 10 chunks (100 %), 0.025 chunks/s"


def test_plain_lines_come_first_last_and_at_most_every_ten_seconds():
    clock = Clock()
    meter = Meter(100, "files", clock=clock)
    said = []
    for _ in range(100):
        clock.now += 1
        meter.advance()
        if meter.due():
            said.append(meter.done)
    # the first, then one per LINE_SECONDS of the 100 s, then the last
    assert said[0] == 1 and said[-1] == 100
    assert all(b - a >= LINE_SECONDS for a, b in itertools.pairwise(said[:-1]))
    assert len(said) == 1 + 100 // int(LINE_SECONDS)


def test_off_a_terminal_progress_is_plain_lines():
    lines: list[str] = []
    console = Console(file=io.StringIO(), force_terminal=False)
    with shown(3, "files", console=console, say=lines.append) as step:
        for name in ("a.jsonl", "b.jsonl", "c.x12"):
            step(name)
    assert lines[0].startswith("1 of 3 files (33 %)") and lines[0].endswith(": a.jsonl")
    assert lines[-1].startswith("3 of 3 files (100 %)") and lines[-1].endswith(": c.x12")
    assert console.file.getvalue() == ""  # no bar drawn into a log


def test_on_a_terminal_progress_is_a_bar_not_lines():
    lines: list[str] = []
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with shown(2, "files", console=console, say=lines.append) as step:
        step("a.jsonl")
        step("b.jsonl")
    assert lines == []
    assert "2/2" in out.getvalue()
