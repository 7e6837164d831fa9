"""The ICD-10-CM tree kept in a cache file, so a new process need not parse the library's XML.

simple-icd-10-cm parses its XML on import (1.6-2.5 s), in every process that validates a
claim: the main process and each chunk worker. The tree (code and parent) is written once
per library version to the user's cache folder and read back in about 0.1 s. The library
stays the source: a missing, damaged or other-version file is rebuilt from it.
"""

from __future__ import annotations

import importlib.metadata
import os
import tempfile
from functools import partial
from pathlib import Path

from rules import icd10
from rules.icd10 import CodeTable

_LIBRARY = "simple-icd-10-cm"
_HEADER = "# claimguard icd10cm table"


def install(folder: Path | None) -> None:
    """Make the cache file in `folder` the table's source in this process (None: the
    library, every time)."""
    icd10.set_table_source(partial(cached_table, folder))


def cached_table(folder: Path | None) -> CodeTable:
    version = importlib.metadata.version(_LIBRARY)
    path = cache_path(folder, version)
    table = read_cache(path, version) if path is not None else None
    if table is None:
        table = icd10.from_library()
        if path is not None:
            _write_cache(path, version, table)
    return table


def cache_path(folder: Path | None, version: str) -> Path | None:
    """Where the table for this library version is kept (None: keep nothing on disk)."""
    return None if folder is None else folder / f"icd10cm-{version}.tsv"


def read_cache(path: Path, version: str) -> CodeTable | None:
    try:
        header, *lines = path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    # The header carries the version and the count: a cache from another version, or
    # one cut short, is not used.
    if header != f"{_HEADER} {version} {len(lines)}":
        return None
    parent: dict[str, str] = {}
    for line in lines:
        code, tab, up = line.partition("\t")
        if not tab or not code:
            return None
        parent[code] = up
    return CodeTable(parent)


def _write_cache(path: Path, version: str, table: CodeTable) -> None:
    body = "".join(f"{code}\t{up}\n" for code, up in table.parent.items())
    text = f"{_HEADER} {version} {len(table.parent)}\n{body}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: processes starting together never read half a file.
        with tempfile.NamedTemporaryFile(
            "w", encoding="ascii", dir=path.parent, delete=False, suffix=".tmp"
        ) as handle:
            handle.write(text)
        os.replace(handle.name, path)
    except OSError:
        pass  # no writable cache folder: every process reads the library, as before
