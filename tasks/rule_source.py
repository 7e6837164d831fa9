"""The rule set a run uses: the shipped one, or a rules folder laid out like rules/."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rules.loader import RuleSet, default_rule_set, load_rule_set


def rule_set_in(folder: Path | None) -> RuleSet:
    """The rules in `folder` (None: the shipped rules), loaded once per folder and content."""
    if folder is None:
        return default_rule_set()
    return _load(folder.resolve(), _stamp(folder))


def _stamp(folder: Path) -> tuple[float, ...]:
    # Reload when a file changes: a re-audit after a rule edit must see the edit.
    return tuple(sorted(p.stat().st_mtime for p in folder.rglob("*") if p.is_file()))


@lru_cache(maxsize=4)
def _load(folder: Path, stamp: tuple[float, ...]) -> RuleSet:
    return load_rule_set(folder)
