"""The architecture holds: imports run flows -> tasks -> rules, and rules/ stays pure."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import rules

ROOT = Path(__file__).parents[1]


def test_the_import_contracts_hold(tmp_path: Path):
    """import-linter's contracts in pyproject.toml hold: layers import one way
    (deployments -> flows -> tasks -> rules), no cycle inside a layer at any depth, and
    rules/ imports no Prefect, database or environment."""
    done = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
         "--no-logo", "--cache-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout


def test_rules_is_this_repository_package():
    """`rules` resolves to this project, not to a PyPI package of the same name."""
    assert Path(rules.__file__).resolve().parent == ROOT / "rules"


def test_top_level_layout():
    """The project keeps the agreed top level."""
    for name in (
        "pyproject.toml",
        "flows",
        "tasks",
        "rules",
        "deployments",
        "tests",
        "README.md",
        "Makefile",
        ".ci/run",
    ):
        assert (ROOT / name).exists(), name


def test_tasks_are_handed_their_settings():
    """Below the entry points nothing reads the environment: tasks/ reads settings in
    tasks/settings.py only, and is handed a Runtime (or an engine and rule set) by its caller."""
    readers = []
    for path in sorted((ROOT / "tasks").rglob("*.py")):
        if path.name == "settings.py" and path.parent.name == "tasks":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            name = (
                node.id
                if isinstance(node, ast.Name)
                else node.attr
                if isinstance(node, ast.Attribute)
                else None
            )
            if name in ("get_settings", "environ", "getenv"):
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert readers == []
