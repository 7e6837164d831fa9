"""The peak memory of this process, for the benchmarks' figures."""

from __future__ import annotations

import resource
import sys


def peak_rss_mb() -> float:
    """This process's own peak resident memory, in MB.

    `getrusage(RUSAGE_SELF).ru_maxrss` keeps the highest figure across exec: a benchmark's
    child run reported its parent's peak from generating the data. The kernel's high-water
    mark of the process's memory map (VmHWM) starts anew at exec, so it is the run's own.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # Elsewhere (macOS has no /proc) the rusage figure: bytes on macOS, kilobytes elsewhere.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
