"""Progress of long work (files, claims, chunks), with rate and time left: a live bar on a
terminal, plain lines otherwise (a log, a pipe, the Prefect UI)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

# Plain lines: at most one per this many seconds, besides the first and the last.
LINE_SECONDS = 10.0


@dataclass
class Meter:
    """Countable work: how much is done of how much, how fast, and how long is left."""

    total: int
    unit: str  # plural: "chunks", "files"
    clock: Callable[[], float] = time.monotonic
    done: int = 0
    started: float = field(init=False)
    _last_said: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def advance(self, amount: int = 1) -> None:
        self.done = min(self.total, self.done + amount)

    def rate(self) -> float:
        """Units per second so far (0 before any is done)."""
        elapsed = self.clock() - self.started
        return self.done / elapsed if elapsed > 0 and self.done else 0.0

    def seconds_left(self) -> float | None:
        rate = self.rate()
        return (self.total - self.done) / rate if rate else None

    def line(self, what: str = "") -> str:
        """ "3 of 10 chunks (30 %), 1.5 chunks/s, about 5 s left" (and what was just done)."""
        share = 100 * self.done // max(self.total, 1)
        said = f"{self.done:,} of {self.total:,} {self.unit} ({share} %)"
        rate = self.rate()
        if rate:
            said += f", {_rate(rate)} {self.unit}/s"
        left = self.seconds_left()
        if left is not None and self.done < self.total:
            said += f", about {_duration(left)} left"
        return f"{said}: {what}" if what else said

    def due(self) -> bool:
        """Whether a plain line is due now: the first, the last, else one per LINE_SECONDS."""
        now = self.clock()
        if (
            self._last_said is None
            or self.done >= self.total
            or now - self._last_said >= LINE_SECONDS
        ):
            self._last_said = now
            return True
        return False


def _rate(rate: float) -> str:
    return f"{rate:,.0f}" if rate >= 10 else f"{rate:.2g}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


Step = Callable[[str], None]  # one unit done; the argument says what (a file's name)


@contextmanager
def shown(total: int, unit: str, *, console: Console, say: Callable[[str], None]) -> Iterator[Step]:
    """A step callback for work of `total` units: a live bar when `console` is a terminal,
    else a plain line through `say` when one is due (Meter.due)."""
    if console.is_terminal:
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(f"{unit}"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("loading", total=total)
            yield lambda what: bar.update(task, advance=1, description=what[:40])
        return
    meter = Meter(total, unit)

    def step(what: str) -> None:
        meter.advance()
        if meter.due():
            say(meter.line(what))

    yield step
