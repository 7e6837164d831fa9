"""The ICD-10-CM tree is read from its library once per version and kept in a cache file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rules import icd10
from tasks import icd10_cache
from tasks.settings import Settings, cache_folder


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path


def test_the_cached_tree_is_the_librarys(cache_dir):
    """Written on first use, read back on the next: the same tree, in the same order."""
    built = icd10_cache.cached_table(cache_dir)
    (path,) = cache_dir.glob("icd10cm-*.tsv")
    again = icd10_cache.cached_table(cache_dir)
    assert again.parent == built.parent == icd10.from_library().parent
    assert list(again.parent) == list(built.parent)
    assert again.leaves_under("F33")[0] == "F33.0" and again.is_leaf("F33.1")
    assert path.stat().st_size > 0


def test_a_damaged_cache_is_rebuilt(cache_dir):
    """A cache cut short (the count in its header does not match) is not trusted."""
    icd10_cache.cached_table(cache_dir)
    (path,) = cache_dir.glob("icd10cm-*.tsv")
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[: len(lines) // 2]) + "\n")
    assert icd10_cache.cached_table(cache_dir).is_leaf("F33.1")
    assert len(path.read_text().splitlines()) == len(lines)


def test_a_cache_of_another_version_is_not_read(cache_dir):
    """The file is named and headed by the library version it came from."""
    icd10_cache.cached_table(cache_dir)
    (path,) = cache_dir.glob("icd10cm-*.tsv")
    other = cache_dir / "icd10cm-0.0.1.tsv"
    other.write_text(path.read_text())
    assert icd10_cache.read_cache(other, "0.0.1") is None


def test_no_cache_folder_still_works(tmp_path):
    """With caching off nothing is written and the tree comes straight from the library."""
    assert cache_folder(Settings(cache_dir="off")) is None
    assert icd10_cache.cached_table(None).is_leaf("F43.10")
    assert list(tmp_path.iterdir()) == []


def test_the_cache_folder_is_the_settings_else_the_users_cache(tmp_path, monkeypatch):
    """CLAIMGUARD_CACHE_DIR names the folder; without it, $XDG_CACHE_HOME/claimguard."""
    assert cache_folder(Settings(cache_dir=str(tmp_path))) == tmp_path
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder(Settings()) == tmp_path / "xdg" / "claimguard"


def test_installing_makes_the_cache_the_tables_source(cache_dir):
    """Once installed (by start-up, the CLI, a worker), the table is read through the cache."""
    icd10_cache.install(cache_dir)
    try:
        assert icd10.problem("F33") is not None and icd10.problem("F33.1") is None
        assert list(cache_dir.glob("icd10cm-*.tsv"))
    finally:
        icd10_cache.install(cache_folder(Settings()))  # the cache, as every other test sees it


def test_importing_the_packages_changes_nothing():
    """Importing flows and tasks sets no environment variable and installs no table source."""
    probe = (
        "import os; before = dict(os.environ); "
        "import tasks, flows, flows.cli, tasks.inbox, tasks.lifecycle; "
        "from rules import icd10; "
        "assert dict(os.environ) == before, set(os.environ) ^ set(before); "
        "assert icd10._source is None"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
