from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rules.loader import RULES_ROOT


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """A rules folder of one's own: a copy of the shipped rules, to import into."""
    for part in ("payers", "tables"):
        shutil.copytree(RULES_ROOT / part, tmp_path / part)
    return tmp_path
