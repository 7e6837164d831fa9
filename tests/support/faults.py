"""Fault injection: transient failures where real ones happen, with no hook in ClaimGuard.

It wraps the function of each Prefect task that reads a source file or writes the claim
database, in place on the task object, so every caller (the flows, a worker process that
imports the task) meets the fault. A test installs it in its own process (`inject`,
`install`); a run in other processes (the CLI, `make chaos`, the chunk workers Prefect
spawns) gets it at start-up from `tests/support/site/sitecustomize.py` when PYTHONPATH
names that folder and CLAIMGUARD_FAULTS sets the rates, e.g. "check_step:0.05,load_file:0.01".
"""

from __future__ import annotations

import functools
import importlib
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from tasks.transient import SourceReadError

SITE = Path(__file__).with_name("site")  # put on PYTHONPATH for other processes
# The points: the task whose function fails there.
POINTS = {
    "load_file": ("tasks.inbox_tasks", "load_intake_file"),
    "post_remittance": ("tasks.inbox_tasks", "post_remittance_file"),
    "check_step": ("tasks.lifecycle", "check_step_chunk"),
}

_lock = threading.Lock()
_rng = random.Random(0)


@dataclass
class _Armed:
    times: int
    error: BaseException


_armed: dict[str, _Armed] = {}
_rates: dict[str, float] = {}
_fired: dict[str, int] = {}


def install(spec: str = "", *, seed: str = "0") -> None:
    """Wrap every point's task in this process; `spec` ("point:rate,...") fails each point
    at that rate, drawn from a sequence seeded by `seed`."""
    with _lock:
        _rates.clear()
        _rates.update(_parse(spec))
        _rng.seed(seed)
    for point, (module, name) in POINTS.items():
        task = getattr(importlib.import_module(module), name)
        if not getattr(task.fn, "_fault_point", None):
            task.fn = _wrapped(point, task.fn)


def inject(point: str, *, times: int, error: BaseException) -> None:
    """Make the next `times` passes through `point` raise `error`."""
    install()
    with _lock:
        _armed[point] = _Armed(times, error)


def clear() -> None:
    with _lock:
        _armed.clear()
        _rates.clear()
        _fired.clear()


def fired(point: str) -> int:
    """How many times `point` has raised in this process."""
    return _fired.get(point, 0)


def _wrapped(point: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def faulty(*args: Any, **kwargs: Any) -> Any:
        _maybe_fail(point)
        return fn(*args, **kwargs)

    faulty._fault_point = point  # type: ignore[attr-defined]
    return faulty


def _maybe_fail(point: str) -> None:
    with _lock:
        armed = _armed.get(point)
        if armed is not None and armed.times > 0:
            armed.times -= 1
            _fired[point] = _fired.get(point, 0) + 1
            raise armed.error
        rate = _rates.get(point, 0.0)
        if not (rate and _rng.random() < rate):
            return
        _fired[point] = _fired.get(point, 0) + 1
    raise _transient(point)


def _parse(spec: str) -> dict[str, float]:
    rates = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, _, value = item.partition(":")
        if name not in POINTS:
            raise ValueError(f"unknown fault point {name!r}; the points are {sorted(POINTS)}")
        rates[name] = float(value or 0)
    return rates


def _transient(point: str) -> BaseException:
    if point == "load_file":
        return SourceReadError(f"injected fault: source unreadable at {point}")
    return OperationalError(
        "injected", {}, Exception(f"database is locked (injected fault at {point})")
    )


def environment(spec: str, *, seed: str = "0") -> dict[str, str]:
    """The variables that give every process of a run these faults (with the project root,
    so `tests` is importable there)."""
    root = Path(__file__).resolve().parents[2]
    return {
        "PYTHONPATH": f"{SITE}:{root}",
        "CLAIMGUARD_FAULTS": spec,
        "CLAIMGUARD_FAULT_SEED": seed,
    }
