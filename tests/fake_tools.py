"""Fake programs for tests of the set-up and `salesflow doctor`: a `java` that reports a given
version, and package managers that record their arguments, all as small shell scripts."""

from __future__ import annotations

import shlex
from pathlib import Path


def write_script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def fake_java_home(home: Path, version: str = "17.0.2") -> Path:
    """A folder JAVA_HOME can name: `bin/java -version` answers as OpenJDK `version` would."""
    line = f'openjdk version "{version}" 2024-01-16'
    write_script(home / "bin" / "java", f"echo {shlex.quote(line)} >&2")
    return home


def recording_tool(bin_dir: Path, name: str, record: Path, then: str = "") -> Path:
    """`name` on `bin_dir` that appends its name and arguments (one call a line) to `record`,
    then runs the shell snippet `then` (with "$@" the arguments)."""
    return write_script(bin_dir / name, f'echo "{name} $*" >> {shlex.quote(str(record))}\n{then}')
