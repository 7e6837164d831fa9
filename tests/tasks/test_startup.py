"""Start-up objects are frozen once per process; what the work creates later is still collected."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc, weakref
from tasks import startup

tracked = len(gc.get_objects())
startup.settle()
frozen = gc.get_freeze_count()
left = len(gc.get_objects())

class Node:
    pass

# A reference cycle made by the work after start-up: garbage the collector must still find.
a, b = Node(), Node()
a.other, b.other = b, a
gone = weakref.ref(a)
del a, b
startup.settle()  # a second call (the next chunk) freezes nothing more
again = gc.get_freeze_count()
gc.collect()
print(tracked, frozen, left, again, gone() is None)
"""


def test_settling_freezes_start_up_once_and_later_garbage_is_still_collected():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    )
    tracked, frozen, left, again, collected = done.stdout.split()
    # Everything the imports made, and the ICD-10-CM table loaded then, is out of the
    # collector's walks: it tracks next to nothing afterwards.
    assert int(frozen) >= int(tracked) > 10_000
    assert int(left) < 100
    assert int(again) == int(frozen)
    assert collected == "True"
