"""Start-up objects are frozen once per process; what the work creates later is still collected;
the collector pauses for a step's work and comes back as it was."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

import pytest

from tasks import startup

SCRIPT = """
import gc, weakref
from tasks import startup

tracked = len(gc.get_objects())
startup.settle(None)
frozen = gc.get_freeze_count()
left = len(gc.get_objects())

class Node:
    pass

# A reference cycle made by the work after start-up: garbage the collector must still find.
a, b = Node(), Node()
a.other, b.other = b, a
gone = weakref.ref(a)
del a, b
startup.settle(None)  # a second call (the next chunk) freezes nothing more
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


class TestThePausedCollector:
    """A step's work runs with the cyclic collector off; it comes back as it was."""

    def test_the_collector_is_off_inside_and_back_on_after(self):
        assert gc.isenabled()
        with startup.collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled()

    def test_it_comes_back_even_when_the_block_raises(self):
        with pytest.raises(RuntimeError), startup.collector_paused():
            raise RuntimeError("a failed step")
        assert gc.isenabled()

    def test_overlapping_blocks_in_two_threads_turn_it_on_only_when_both_are_done(self):
        first_in, second_out = threading.Event(), threading.Event()
        seen: list[bool] = []

        def first() -> None:
            with startup.collector_paused():
                first_in.set()
                second_out.wait(10)
                seen.append(gc.isenabled())  # the second block has ended; this one has not

        thread = threading.Thread(target=first)
        thread.start()
        first_in.wait(10)
        with startup.collector_paused():
            pass
        second_out.set()
        thread.join(10)
        assert seen == [False]
        assert gc.isenabled()

    def test_a_collector_someone_turned_off_stays_off(self):
        gc.disable()
        try:
            with startup.collector_paused():
                pass
            assert not gc.isenabled()
        finally:
            gc.enable()
