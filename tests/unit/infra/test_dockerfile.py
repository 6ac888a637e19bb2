"""The Dockerfile, read as text (no Docker engine on this machine, so no image is built here)."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from tests.unit.infra.dockerfile import (
    DOCKERFILE,
    arg_default,
    base_of,
    external_base,
    stages,
    syntax_line,
)
from tests.unit.infra.terraform_tree import REPO_ROOT

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def test_the_service_image_is_slim_debian_12_python_non_root_and_runs_the_api_on_kinesis() -> None:
    service = stages()["service"]
    assert service[0] == "FROM python-base AS service"
    assert external_base("service").image == "python:3.11-slim-bookworm"
    users = [line for line in service if line.startswith("USER ")]
    assert users == ["USER salesflow"]
    assert service[-1] == 'CMD ["salesflow", "api", "--sink", "kinesis", "--host", "0.0.0.0"]'
    installs = " ".join(line for line in service if "pip install" in line)
    assert "-r /tmp/runtime.lock" in installs
    assert "[dev]" not in installs
    assert "[spark]" not in installs


def test_the_default_target_is_the_service_image() -> None:
    assert list(stages())[-1] == "<default>"
    assert stages()["<default>"] == ["FROM service"]


def test_every_target_terraform_and_the_guide_name_exists() -> None:
    assert {"service", "lambda", "kcl", "emr-artifacts"} <= set(stages())


def test_every_base_image_is_pinned_by_digest_and_built_for_amd64() -> None:
    """A tag moves (python:3.11-slim went from Debian 12 to 13 under the KCL image's feet); a
    digest does not. amd64 is what Terraform runs every image on, whatever the build machine."""
    assert DIGEST.search(syntax_line().removeprefix("# syntax=docker/dockerfile:1.7@")), (
        syntax_line()
    )
    external = [
        (stage, base_of(stage))
        for stage in stages()
        if base_of(stage).reference not in stages() and base_of(stage).reference != "scratch"
    ]
    assert {stage for stage, _ in external} == {"python-base", "lambda", "kcl-jars", "emr-env"}
    for stage, base in external:
        assert base.digest is not None, stage
        assert DIGEST.fullmatch(base.digest), (stage, base)
        assert ":" in base.image.rsplit("/", 1)[-1], f"{stage}: keep the tag beside the digest"
        assert base.platform == "linux/amd64", stage


def test_the_compute_terraform_runs_the_images_on_is_amd64() -> None:
    text = "".join(
        path.read_text() for path in (REPO_ROOT / "infra/terraform/modules").rglob("*.tf")
    )
    assert re.search(r'architectures\s+= \["x86_64"\]', text)
    assert re.search(r'cpu_architecture\s+= "X86_64"', text)
    assert re.search(r'\n\s+architecture\s+= "X86_64"', text)


def test_every_pip_install_takes_wheels_only_and_requires_the_locks_hashes() -> None:
    """Each stage installs a hashed lock (requirements/runtime.lock or build.lock, copied to
    /tmp) with --require-hashes, then the salesflow wheel built from this source with --no-deps:
    nothing is fetched without a hash (tests/unit/infra/test_locks.py checks the locks)."""
    installs = [
        (stage, command)
        for stage, lines in stages().items()
        for line in lines
        for command in re.findall(r"pip install[^&]*", line)
    ]
    assert len(installs) >= 7
    wheel_stages = set()
    for stage, command in installs:
        assert "--only-binary=:all:" in command, (stage, command)
        if "salesflow-*.whl" in command:
            assert "--no-deps" in command, (stage, command)
            assert re.search(r"(^| )/wheels/salesflow-\*\.whl\s*$", command), (stage, command)
            wheel_stages.add(stage)
        else:
            assert "--require-hashes" in command, (stage, command)
            assert re.search(r"-r /tmp/(runtime|build)\.lock\s*$", command), (stage, command)
    assert wheel_stages == {"service", "lambda", "emr-env"}
    for stage in wheel_stages:
        commands = [command for name, command in installs if name == stage]
        runtime = next(i for i, c in enumerate(commands) if "-r /tmp/runtime.lock" in c)
        assert runtime < next(i for i, c in enumerate(commands) if "salesflow-*.whl" in c), stage
    everything = " ".join(line for lines in stages().values() for line in lines)
    assert "requirements/dev.lock" not in everything, "the images install runtime.lock"


def test_the_emr_environment_is_built_from_a_verified_python_with_the_salesflow_wheel() -> None:
    emr = " ".join(stages()["emr-env"])
    assert external_base("emr-env").image == "public.ecr.aws/amazonlinux/amazonlinux:2023"
    assert "gpg --batch --verify" in emr
    tarball = "Python-${PYTHON_FULL_VERSION}.tar.xz"
    assert f'echo "${{PYTHON_SHA256}}  {tarball}" | sha256sum --check --strict' in emr
    assert emr.index("sha256sum --check") < emr.index(f'tar xJf "{tarball}"')
    assert re.fullmatch(r"[0-9a-f]{64}", arg_default("emr-env", "PYTHON_SHA256"))
    assert "/wheels/salesflow-*.whl" in emr
    assert "venv-pack --force --prefix /env" in emr
    packed = emr.split("/env/bin/pip install")[1].split("&&")[0]
    assert "venv-pack" not in packed, "the packer stays out of the job's environment"
    assert arg_default("emr-env", "PYTHON_FULL_VERSION").startswith("3.11.")
    artifacts = stages()["emr-artifacts"]
    assert artifacts[1:] == [
        "COPY --from=emr-env /pyspark_env.tar.gz /",
        "COPY batch_layer/emr/entrypoint.py /",
    ]


def test_the_kcl_image_gets_java_17_from_debian_12() -> None:
    kcl = " ".join(stages()["kcl"])
    assert "openjdk-17-jre-headless" in kcl
    assert external_base("kcl").image.endswith("-bookworm")


def test_every_file_copied_from_the_build_context_exists_and_is_not_docker_ignored() -> None:
    ignored_everything = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignored_everything if line.startswith("!")}
    sources = []
    for lines in stages().values():
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
