"""Files that hold patient data are the owner's alone: folders 0700, files 0600.

The claim database, the reports and work queues, and the inputs filed away after reading
are made so when ClaimGuard creates them, whatever the process's umask; folders that
already exist (a folder the user named) are left as they are.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TextIO, cast

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Make `path` and any missing parents, each one made owner-only."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is cut by the umask
    return path


def private_open(path: Path, **kwargs: Any) -> TextIO:
    """Open `path` to write text, owner-only (a file that existed is made so too)."""

    def opener(name: str, flags: int) -> int:
        descriptor = os.open(name, flags, FILE_MODE)
        os.fchmod(descriptor, FILE_MODE)
        return descriptor

    return cast(TextIO, open(path, "w", opener=opener, **kwargs))


def private_file(path: Path) -> Path:
    """Make an existing file owner-only."""
    os.chmod(path, FILE_MODE)
    return path


def private_touch(path: Path) -> Path:
    """Create `path` empty and owner-only if it does not exist."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    return path
