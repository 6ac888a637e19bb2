"""The local stack ships only in a checkout: an installation without `devstack` (the wheel, the
production images) refuses its commands with what to do, and runs every other one."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
ISOLATED = ["-I", "-S"]
"""No site-packages, no working directory on the path: only what the test puts there."""


def _salesflow_alone(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`salesflow <arguments>` with the `salesflow` package and nothing else importable."""
    shutil.copytree(REPO / "salesflow", tmp_path / "salesflow")
    program = (
        "import sys; sys.path.insert(0, sys.argv[1]); from salesflow.cli import main; "
        "sys.exit(main(sys.argv[2:]))"
    )
    return subprocess.run(
        [sys.executable, *ISOLATED, "-c", program, str(tmp_path), *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def test_a_local_stack_command_says_to_run_it_from_a_checkout(tmp_path: Path) -> None:
    result = _salesflow_alone(tmp_path, "simulate", "--help")
    assert result.returncode == 2, result.stdout
    assert "belongs to the local stack" in result.stderr
    assert "make setup" in result.stderr


def test_neither_the_wheel_nor_the_images_carry_the_local_stack() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    included = project["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not [pattern for pattern in included if pattern.startswith("devstack")]
    assert "COPY devstack" not in (REPO / "Dockerfile").read_text()
