"""The Dockerfile, read as text (no Docker engine on this machine, so no image is built here)."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from tests.unit.infra.terraform_tree import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"


def _stages() -> dict[str, list[str]]:
    """Stage name -> its instructions (continuation lines joined)."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    stages: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", line, flags=re.IGNORECASE)
        if match:
            current = match[1] or "<default>"
            stages[current] = []
        stages.setdefault(current, []).append(line.strip())
    return stages


def test_the_service_image_is_slim_python_non_root_and_runs_the_api_on_kinesis() -> None:
    service = _stages()["service"]
    assert service[0] == "FROM python:${PYTHON_VERSION}-slim AS service"
    assert "ARG PYTHON_VERSION=3.11" in DOCKERFILE.read_text()
    users = [line for line in service if line.startswith("USER ")]
    assert users == ["USER salesflow"]
    assert service[-1] == 'CMD ["salesflow", "api", "--sink", "kinesis", "--host", "0.0.0.0"]'
    installs = " ".join(line for line in service if "pip install" in line)
    assert "--constraint" in installs
    assert "[dev]" not in installs
    assert "[spark]" not in installs


def test_the_default_target_is_the_service_image() -> None:
    assert list(_stages())[-1] == "<default>"
    assert _stages()["<default>"] == ["FROM service"]


def test_every_target_terraform_and_the_guide_name_exists() -> None:
    assert {"service", "lambda", "kcl", "emr-artifacts"} <= set(_stages())


def test_every_file_copied_from_the_build_context_exists_and_is_not_docker_ignored() -> None:
    ignored_everything = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignored_everything if line.startswith("!")}
    sources = []
    for lines in _stages().values():
        for line in lines:
            if line.startswith("COPY ") and "--from=" not in line:
                sources += line.split()[1:-1]
    assert sources
    for source in sources:
        assert (REPO_ROOT / source).exists(), source
        assert any(source.rstrip("/").startswith(prefix) for prefix in allowed), source


def test_the_kcl_entrypoint_is_executable_and_names_what_is_missing() -> None:
    script = REPO_ROOT / "infra" / "docker" / "kcl-entrypoint.sh"
    assert os.access(script, os.X_OK)
    result = subprocess.run(
        ["sh", str(script)],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SALESFLOW_STREAM_NAME" in result.stderr


@pytest.mark.xdist_group("checkov")
def test_checkov_finds_nothing_in_the_dockerfile() -> None:
    assert CHECKOV.exists(), f"{CHECKOV} is missing: run `scripts/bootstrap.sh test`"
    result = subprocess.run(
        [
            str(CHECKOV),
            *("--file", str(DOCKERFILE), "--framework", "dockerfile"),
            *("--quiet", "--skip-download", "--output", "json"),
        ],
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stdout)
    assert report["summary"]["failed"] == 0, report["results"]["failed_checks"]
    assert report["summary"]["passed"] > 50
