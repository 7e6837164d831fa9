"""Start-up objects out of the garbage collector's way, once per process.

A process that imports Prefect holds about 300,000 objects that live as long as it does
(modules, Pydantic models, the server's routes), and the ICD-10-CM table adds its own.
Loading and checking claims allocate enough to set off the cyclic collector many times a
second, and each of its full passes walks every object still tracked. Measured at 100,000
claims (one JSON packet file, SQLite): loading took 27.1 s in a process without Prefect,
34.5 s in one that had imported it, and 24.4 s there after `gc.freeze()`, which moves every
object alive at that moment into a generation the collector no longer walks.

Frozen objects are never collected, so this is done once, after imports and before the
work: whatever a run creates later is collected as usual.
"""

from __future__ import annotations

import gc

from rules import icd10

_settled = False


def settle() -> None:
    """Load the ICD-10-CM table, then freeze everything alive (first call per process only)."""
    global _settled
    if _settled:
        return
    _settled = True
    icd10.load_table()
    gc.collect()  # what start-up already threw away should not be frozen with the rest
    gc.freeze()
