"""The scratch folder of a CSV load, and the sweep of those whose load was killed.

A load keeps the ids of the events it has closed in files of its own (`csv_events.EventWindow`),
under a folder removed when the load ends. A load killed outright (SIGKILL, a container or
Lambda stopped mid-file) never removes it, so each folder is named after its process and the
next load removes those of processes no longer running: a watcher restarted after a kill does
not leave a folder behind per kill.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def scratch_root() -> Path:
    """Per user, so that one user's folders are never another's to create or sweep."""
    return Path(tempfile.gettempdir()) / f"salesflow-csv-{os.getuid()}"


@contextmanager
def scratch_folder() -> Iterator[Path]:
    root = scratch_root()
    root.mkdir(mode=0o700, exist_ok=True)
    _sweep(root)
    folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sweep(root: Path) -> None:
    for folder in root.iterdir():
        pid = folder.name.partition("-")[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True
