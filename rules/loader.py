"""Load and validate every rule file and code table; report every problem at once.

    rules/payers/<payer>/<step>.yaml   a payer's rules for a step
    rules/payers/_default/<step>.yaml  rules for every payer, unless replaced or disabled
    rules/tables/*.csv                 NCCI, MUE, add-ons, code validity, fees, CARCs

The rule-set version is the SHA-256 of every file's path and bytes, so a checkpoint says
exactly which rules judged it and a re-audit after any change can show what moved.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from rules.checks import REGISTRY, Env
from rules.errors import RuleFileError, RuleProblem, validation_problems
from rules.outcomes import Step
from rules.schema import Rule, RuleFile
from rules.tables import Tables, load_tables

RULES_ROOT = Path(__file__).parent
DEFAULT = "_default"


@dataclass(frozen=True)
class RuleSet:
    files: tuple[RuleFile, ...]
    tables: Tables
    version: str
    _resolved: dict[tuple[str, Step], tuple[Rule, ...]] = field(default_factory=dict, compare=False)
    _effective: dict[tuple[str, Step, dt.date], tuple[Rule, ...]] = field(
        default_factory=dict, compare=False
    )
    _envs: dict[dt.date, Env] = field(default_factory=dict, compare=False)

    payers: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "payers", frozenset(f.payer for f in self.files if f.payer != DEFAULT)
        )

    def env(self, day: dt.date) -> Env:
        """What the checks consult besides the claim, as of `day` (built once per day)."""
        env = self._envs.get(day)
        if env is None:
            env = self._envs[day] = Env(self.tables, day, self.payers)
        return env

    def rules_for(self, payer: str, step: Step) -> tuple[Rule, ...]:
        """The rules that judge `payer`'s claims in `step`: defaults less replaced and disabled, then the payer's own."""
        key = (payer, step)
        if key not in self._resolved:
            own = [r for f in self.files if f.payer == payer and f.step is step for r in f.rules]
            dropped = {
                d.rule
                for f in self.files
                if f.payer == payer and f.step is step
                for d in f.disables
            }
            dropped |= {rid for r in own for rid in r.replaces}
            defaults = [
                r
                for f in self.files
                if f.payer == DEFAULT and f.step is step
                for r in f.rules
                if r.id not in dropped
            ]
            self._resolved[key] = (*defaults, *own)
        return self._resolved[key]

    def effective_rules(self, payer: str, step: Step, day: dt.date) -> tuple[Rule, ...]:
        """rules_for, limited to the rules in effect on `day` (cached: claims share few dates)."""
        key = (payer, step, day)
        found = self._effective.get(key)
        if found is None:
            found = tuple(r for r in self.rules_for(payer, step) if r.effective_on(day))
            if len(self._effective) < 100_000:
                self._effective[key] = found
        return found

    def all_rules(self) -> list[tuple[RuleFile, Rule]]:
        return [(f, r) for f in self.files for r in f.rules]


def load_rule_set(root: Path = RULES_ROOT) -> RuleSet:
    """Read and validate every rule file and table under `root`; raise RuleFileError listing all problems."""
    problems: list[RuleProblem] = []
    paths = sorted((root / "payers").glob("*/*.yaml"))
    files = [f for f in (_load_file(root, path, problems) for path in paths) if f is not None]
    tables = load_tables(root / "tables", problems)
    _check_whole(root, files, problems)
    if not files and not problems:
        problems.append(
            RuleProblem(
                str(root / "payers"), None, None, "no rule files: an empty rule set fails closed"
            )
        )
    if problems:
        raise RuleFileError(problems)
    return RuleSet(tuple(files), tables, _version(root))


@cache
def default_rule_set() -> RuleSet:
    """The shipped rule set, loaded once per process."""
    return load_rule_set(RULES_ROOT)


def _version(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted([*(root / "payers").glob("*/*.yaml"), *(root / "tables").glob("*.csv")]):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _load_file(root: Path, path: Path, problems: list[RuleProblem]) -> RuleFile | None:
    where = f"{root.name}/{path.relative_to(root)}"
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        problems.append(RuleProblem(where, None, None, f"not valid YAML: {error}"))
        return None
    if not isinstance(data, dict):
        problems.append(
            RuleProblem(where, None, None, "expected a mapping with payer, step and rules")
        )
        return None
    try:
        rule_file = RuleFile.model_validate(data)
    except ValidationError as error:
        problems.extend(_problems(where, data, error))
        return None
    expected = (path.parent.name, path.stem)
    if (rule_file.payer, rule_file.step.value) != expected:
        problems.append(
            RuleProblem(
                where,
                None,
                "payer/step",
                f"the file says {rule_file.payer}/{rule_file.step.value} but lives at {expected[0]}/{expected[1]}.yaml",
            )
        )
    return rule_file


def _problems(where: str, data: dict[str, Any], error: ValidationError) -> list[RuleProblem]:
    def describe(item: ErrorDetails) -> str:
        if item["type"] == "union_tag_invalid":
            tag = item.get("ctx", {}).get("tag")
            close = difflib.get_close_matches(str(tag), REGISTRY, n=1)
            return f"unknown check {tag!r}" + (
                f"; did you mean {close[0]!r}?"
                if close
                else f"; checks are {', '.join(sorted(REGISTRY))}"
            )
        if item["type"] == "extra_forbidden":
            loc = list(item["loc"])
            return f"unknown field {loc[-1]!r}" + _field_hint(data, loc)
        return item["msg"].removeprefix("Value error, ")

    return validation_problems(
        where, error, rule_id=lambda loc: _rule_id(data, loc), describe=describe
    )


def _rule_id(data: dict[str, Any], loc: list[Any]) -> str | None:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = data.get("rules") or []
        if loc[1] < len(rules) and isinstance(rules[loc[1]], dict):
            return str(rules[loc[1]].get("id")) if rules[loc[1]].get("id") else f"#{loc[1] + 1}"
    return None


def _field_hint(data: dict[str, Any], loc: list[Any]) -> str:
    if len(loc) >= 4 and loc[0] == "rules" and loc[2] == "require":
        rule = (data.get("rules") or [])[loc[1]]
        name = (rule.get("require") or {}).get("check")
        if name in REGISTRY:
            close = difflib.get_close_matches(str(loc[-1]), REGISTRY[name].params.model_fields, n=1)
            return (
                f"; did you mean {close[0]!r}?"
                if close
                else f"; {name} takes {', '.join(f for f in REGISTRY[name].params.model_fields if f != 'check')}"
            )
    return ""


def _check_whole(root: Path, files: list[RuleFile], problems: list[RuleProblem]) -> None:
    ids = Counter(r.id for f in files for r in f.rules)
    for rule_id, count in ids.items():
        if count > 1:
            problems.append(
                RuleProblem(
                    f"{root.name}/payers",
                    rule_id,
                    "id",
                    f"used by {count} rules; rule ids must be unique",
                )
            )
    defaults = {r.id for f in files if f.payer == DEFAULT for r in f.rules}
    for f in files:
        named = [(r.id, rid) for r in f.rules for rid in r.replaces] + [
            (None, d.rule) for d in f.disables
        ]
        for owner, target in named:
            if target not in defaults:
                close = difflib.get_close_matches(target, defaults, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(
                    RuleProblem(
                        f"{root.name}/payers/{f.payer}/{f.step.value}.yaml",
                        owner,
                        "replaces" if owner else "disables",
                        f"{target!r} is not a default rule{hint}",
                    )
                )
    for step in Step:
        if files and not any(f.payer == DEFAULT and f.step is step and f.rules for f in files):
            problems.append(
                RuleProblem(
                    f"{root.name}/payers/{DEFAULT}/{step.value}.yaml",
                    None,
                    None,
                    f"no default rules for step {step.value}: an empty step fails closed",
                )
            )
