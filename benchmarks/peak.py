"""The peak memory of this process, for the benchmarks' figures."""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
from dataclasses import dataclass, field


def peak_rss_mb() -> float:
    """This process's own peak resident memory, in MB.

    `getrusage(RUSAGE_SELF).ru_maxrss` keeps the highest figure across exec: a benchmark's
    child run reported its parent's peak from generating the data. The kernel's high-water
    mark of the process's memory map (VmHWM) starts anew at exec, so it is the run's own.
    """
    peak_mb = _status_mb("self", "VmHWM")
    if peak_mb is not None:
        return peak_mb
    # Elsewhere (macOS has no /proc) the rusage figure: bytes on macOS, kilobytes elsewhere.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _status_mb(pid: int | str, key: str) -> float | None:
    """A memory figure of /proc/PID/status in MB; None without /proc or once the process ended."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _rss_mb(pid: int | str) -> float:
    return _status_mb(pid, "VmRSS") or 0.0  # 0: the process ended between listing and reading


def _children(pid: int) -> list[int]:
    """Every descendant of `pid`. /proc/PID/task/TID/children lists the children of one
    thread only, so every thread's list is read (a pool's workers are started by threads)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            tids = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{parent}/task/{tid}/children") as listing:
                    kids = [int(k) for k in listing.read().split()]
            except OSError:
                continue
            found.extend(kids)
            pending.extend(kids)
    return found


@dataclass
class RssSampler:
    """This process's resident memory, and its children's summed, sampled every `every`
    seconds on a thread: with a run's phase times, the peak of each phase (`phase_peaks`),
    which the process's one high-water mark cannot tell apart. Linux only (reads /proc);
    elsewhere it samples nothing."""

    every: float = 0.25
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # (t, own, children)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self._began = time.perf_counter()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._ended = time.perf_counter() - self._began

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.is_set() and os.path.exists(f"/proc/{me}/status"):
            kids = sum(_rss_mb(pid) for pid in _children(me))
            self.samples.append((time.perf_counter() - self._began, _rss_mb(me), kids))
            self._stop.wait(self.every)

    def phase_peaks(self, seconds: dict[str, float]) -> dict[str, dict[str, float]]:
        """Each phase's peak MB (own process, children summed), for phases run one after
        another in the order of `seconds`. Boundaries are laid back from the end of the
        sampled span, since the run's start-up comes before its first phase's timer."""
        bounds: list[tuple[str, float, float]] = []
        end = self._ended
        for name, length in reversed(list(seconds.items())):
            bounds.append((name, end - length, end))
            end -= length
        out: dict[str, dict[str, float]] = {}
        for name, start, stop in reversed(bounds):
            inside = [(own, kids) for t, own, kids in self.samples if start <= t <= stop]
            if inside:
                out[name] = {
                    "own": round(max(own for own, _ in inside), 1),
                    "children": round(max(kids for _, kids in inside), 1),
                }
        return out
