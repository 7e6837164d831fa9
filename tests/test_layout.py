"""The architecture holds: imports run flows -> tasks -> rules, and rules/ stays pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rules

ROOT = Path(__file__).parents[1]
FORBIDDEN = {
    "rules": {"prefect", "sqlalchemy", "alembic", "tasks", "flows", "os", "psycopg"},
    "tasks": {"flows"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_only_downwards(package: str):
    """rules/ imports no Prefect, database or environment; tasks/ never imports flows/."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if imported_modules(path) & FORBIDDEN[package]
    }
    assert offenders == {}


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
