"""`--help` of every command describes every parameter: what the code says of an option
reaches the person typing it."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from cyclopts import App
from rich.console import Console

from flows.cli import app

# A row of a help panel: the option (or argument), its negative form, its type, then words.
ROW = re.compile(
    r"^│\s+(\*\s+)?(?P<name>--[a-z][\w-]*|[A-Z][A-Z_]*)(\s+--[\w-]+)*(\s+[A-Z][A-Z.]*)?"
    r"(\s{2,}(?P<help>\S.*?))?\s*│$"
)


def commands(at: App, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name in at:
        if name.startswith("-"):
            continue
        sub = at[name]
        if sub.default_command is not None:
            yield (*prefix, name)
        if sub is not at:
            yield from commands(sub, (*prefix, name))


def help_of(path: tuple[str, ...]) -> str:
    out = io.StringIO()
    app.help_print(tokens=list(path), console=Console(file=out, width=240, color_system=None))
    return out.getvalue()


COMMANDS = list(commands(app))


def test_every_command_is_checked():
    assert len(COMMANDS) >= 25 and ("reaudit",) in COMMANDS and ("remit", "load") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_parameter_has_a_description(path: tuple[str, ...]):
    rows = [m for line in help_of(path).splitlines() if (m := ROW.match(line))]
    assert rows or path in {("schema",), ("demo",), ("score",)}, "no parameter rows found"
    bare = [m["name"] for m in rows if not m["help"] or m["help"].startswith("[")]
    assert bare == [], f"claimguard {' '.join(path)}: {bare} have no description"
