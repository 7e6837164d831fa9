"""Start-up objects out of the garbage collector's way, once per process.

A process that imports Prefect holds about 300,000 objects that live as long as it does
(modules, Pydantic models, the server's routes), and the ICD-10-CM table adds its own.
Loading and checking claims allocate enough to set off the cyclic collector many times a
second, and each of its full passes walks every object still tracked: in a process that has
imported Prefect, a load spends about a quarter of its time there. `gc.freeze()` moves every
object alive at that moment into a generation the collector no longer walks.

Frozen objects are never collected, so this is done once, after imports and before the
work: whatever a run creates later is collected as usual.

Checking a chunk is the same story at a smaller scale: its claims' contexts (10,000 claims'
records, notes and history) live until the chunk's last step, and every full pass during the
chunk walks them all to find nothing to free. `collector_paused` keeps the collector out of a
step's way; reference counting still frees what the step drops, and the cycles it leaves wait
for the collector's next pass after the step.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rules import icd10
from tasks import icd10_cache

_settled = False
_pause_lock = threading.Lock()
_pauses = 0
_resume = False


def use_cached_code_tables(cache: Path | None) -> None:
    """Read the ICD-10-CM table from the `cache` folder rather than the library's XML
    (1.6-2.5 s in every process that validates a claim); None: from the XML."""
    icd10_cache.install(cache)


def settle(code_cache: Path | None) -> None:
    """Load the ICD-10-CM table (cached in `code_cache`), then freeze everything alive
    (first call per process only)."""
    global _settled
    if _settled:
        return
    _settled = True
    use_cached_code_tables(code_cache)
    icd10.load_table()
    gc.collect()  # what start-up already threw away should not be frozen with the rest
    gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off for the block, back as it was once the last such block ends.

    Counted, so overlapping blocks in two threads (a flow's task runner) turn it back on
    only when both are done, and never turn on a collector someone else had turned off.
    """
    global _pauses, _resume
    with _pause_lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()
