"""Processes for tests of leases held by processes that have ended."""

from __future__ import annotations

import subprocess
import sys


def dead_pid() -> int:
    """The id of a process that has run and ended."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)
