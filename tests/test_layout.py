"""The architecture holds: imports run flows -> tasks -> rules, and rules/ stays pure."""

from __future__ import annotations

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
