"""Fault injection at the I/O points, for tests and `make chaos`; a no-op unless armed.

Arm it in code (`inject("check_step", times=2, error=...)`) or from the environment for a
whole run: CLAIMGUARD_FAULTS="check_step:0.05,load_file:0.01" fails each named point at
that rate with a transient error (a locked database, or an unreadable source file).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from tasks.intake.reader import SourceReadError
from tasks.settings import get_settings

_lock = threading.Lock()


@dataclass
class _Armed:
    times: int
    error: BaseException


_ARMED: dict[str, _Armed] = {}
_FIRED: dict[str, int] = {}
_RNG = random.Random()
_SEEDED: list[str] = []


def inject(point: str, *, times: int, error: BaseException) -> None:
    """Make the next `times` passes through `point` raise `error`."""
    with _lock:
        _ARMED[point] = _Armed(times, error)


def clear() -> None:
    with _lock:
        _ARMED.clear()
        _FIRED.clear()


def fired(point: str) -> int:
    """How many times `point` has raised."""
    return _FIRED.get(point, 0)


def maybe_fail(point: str) -> None:
    """Raise the armed error for `point`, or an environment-rate transient error; else nothing."""
    with _lock:
        armed = _ARMED.get(point)
        if armed is not None and armed.times > 0:
            armed.times -= 1
            _FIRED[point] = _FIRED.get(point, 0) + 1
            raise armed.error
    settings = get_settings()
    rate = _rates(settings.faults).get(point, 0.0)
    if rate and _draw(settings.fault_seed) < rate:
        with _lock:
            _FIRED[point] = _FIRED.get(point, 0) + 1
        raise _transient(point)


def _draw(seed: str) -> float:
    """The next number of the sequence seeded by `seed` (seeded once per process)."""
    with _lock:
        if [seed] != _SEEDED:
            _RNG.seed(seed)
            _SEEDED[:] = [seed]
        return _RNG.random()


def _rates(spec: str) -> dict[str, float]:
    rates = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, _, value = item.partition(":")
        rates[name] = float(value or 0)
    return rates


def _transient(point: str) -> BaseException:
    if point == "load_file":
        return SourceReadError(f"injected fault: source unreadable at {point}")
    return OperationalError(
        "injected", {}, Exception(f"database is locked (injected fault at {point})")
    )
