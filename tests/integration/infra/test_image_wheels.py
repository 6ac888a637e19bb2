"""Every package an image installs exists as a wheel for that image's Python and glibc.

The images cannot be built here (no Docker engine), and a missing wheel only shows when one is:
pip then falls back to a source build, which fails (pyarrow on the Amazon Linux 2 Lambda base)
or silently compiles for minutes. So for each stage that pip-installs, this test asks pip to
download, wheels only, exactly what the stage installs (the project's runtime requirements
constrained by requirements/dev.lock, or a tool the stage pins), for the platform tags of the
stage's base image: its CPython version and every manylinux tag its glibc accepts, on x86_64.
The bases' Python and glibc are written down in BASES; a stage moved to another base fails here
until BASES says what that base is.

Downloads are kept in .cache/image-wheels/ (one folder for every platform: pure-Python wheels
are shared). A run first resolves from that folder alone, offline, and goes to PyPI only for what
is missing: the first run downloads about 190 MB, later ones resolve offline. docs/adr/0014.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from tests.unit.infra.dockerfile import arg_default, external_base, stages
from tests.unit.infra.terraform_tree import REPO_ROOT

pytestmark = [pytest.mark.xdist_group("image-wheels"), pytest.mark.timeout(900)]

CACHE = REPO_ROOT / ".cache" / "image-wheels"
LOCK = REPO_ROOT / "requirements" / "dev.lock"


@dataclass(frozen=True)
class Platform:
    """What a base image offers a wheel: its CPython and the glibc its manylinux tags accept."""

    python: str
    glibc_minor: int
    why: str


BASES = {
    "python:3.11-slim-bookworm": Platform("3.11", 36, "Debian 12: glibc 2.36, CPython 3.11"),
    "public.ecr.aws/lambda/python:3.12": Platform(
        "3.12", 34, "Amazon Linux 2023: glibc 2.34, CPython 3.12"
    ),
    "public.ecr.aws/amazonlinux/amazonlinux:2023": Platform(
        "3.11", 34, "Amazon Linux 2023: glibc 2.34; CPython 3.11 built from source in the stage"
    ),
}
AMAZON_LINUX_2_LAMBDA = Platform("3.11", 26, "Amazon Linux 2: glibc 2.26, CPython 3.11")
"""The Lambda base the issue found broken (public.ecr.aws/lambda/python:3.11)."""


@dataclass(frozen=True)
class Install:
    """One stage's pip install: what it asks for, on which platform."""

    stage: str
    platform: Platform
    requirements: tuple[str, ...]
    constrained: bool
    """Resolved under requirements/dev.lock, as the salesflow wheel's dependencies are."""


def runtime_requirements() -> tuple[str, ...]:
    """What installing the salesflow wheel pulls in: the project's own dependencies."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return tuple(project["dependencies"])


def installs() -> list[Install]:
    def platform(stage: str) -> Platform:
        return BASES[external_base(stage).image]

    return [
        Install("service", platform("service"), runtime_requirements(), constrained=True),
        Install("lambda", platform("lambda"), runtime_requirements(), constrained=True),
        Install("emr-env", platform("emr-env"), runtime_requirements(), constrained=True),
        Install(
            "wheel",
            platform("wheel"),
            (f"setuptools=={arg_default('wheel', 'SETUPTOOLS_VERSION')}",),
            constrained=False,
        ),
        Install(
            "emr-env (packer)",
            platform("emr-env"),
            (f"venv-pack=={arg_default('emr-env', 'VENV_PACK_VERSION')}",),
            constrained=False,
        ),
    ]


def manylinux_tags(glibc_minor: int) -> list[str]:
    """Every platform tag a glibc 2.<minor> x86_64 system accepts, newest first (PEP 600 and the
    legacy aliases pip does not expand itself)."""
    tags = [f"manylinux_2_{minor}_x86_64" for minor in range(glibc_minor, 4, -1)]
    aliases = {17: "manylinux2014_x86_64", 12: "manylinux2010_x86_64", 5: "manylinux1_x86_64"}
    return tags + [alias for minor, alias in aliases.items() if minor <= glibc_minor]


def pip_download(
    platform: Platform, requirements: tuple[str, ...], *, constrained: bool, offline: bool
) -> subprocess.CompletedProcess[str]:
    abi = f"cp{platform.python.replace('.', '')}"
    command = [
        *(sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--progress-bar"),
        *("off", "--only-binary=:all:", "--implementation", "cp"),
        *("--python-version", platform.python, "--abi", abi, "--abi", "abi3", "--abi", "none"),
        *(
            argument
            for tag in manylinux_tags(platform.glibc_minor)
            for argument in ("--platform", tag)
        ),
        *("--dest", str(CACHE)),
        *(("--constraint", str(LOCK)) if constrained else ()),
        *(("--no-index", "--find-links", str(CACHE)) if offline else ()),
        *requirements,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=800, check=False)


def download(install: Install) -> str:
    """pip's report of a successful download; offline from the cache when it holds everything."""
    CACHE.mkdir(parents=True, exist_ok=True)
    offline = pip_download(
        install.platform, install.requirements, constrained=install.constrained, offline=True
    )
    if offline.returncode == 0:
        return offline.stdout
    if not _pypi_reachable():
        pytest.skip(
            f"{install.stage}: PyPI is unreachable and {CACHE} lacks wheels this install needs; "
            "run the test once on a machine that reaches pypi.org"
        )
    online = pip_download(
        install.platform, install.requirements, constrained=install.constrained, offline=False
    )
    assert online.returncode == 0, (
        f"{install.stage} ({install.platform.why}): a pinned package has no wheel for this "
        f"base, so the image build would compile it or fail:\n{online.stderr[-3000:]}"
    )
    return online.stdout


def _pypi_reachable() -> bool:
    try:
        with urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=10):
            return True
    except (urllib.error.URLError, TimeoutError):
        return False


def _locked() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", LOCK.read_text(), flags=re.MULTILINE)
    return {_normalise(name): version for name, version in pins}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wheels_named(report: str) -> dict[str, str]:
    """Distribution -> version of every wheel pip saved or found already saved."""
    files = re.findall(r"([A-Za-z0-9_.]+)-([^-\s]+)-[^-\s]+-[^-\s]+-[^-\s]+\.whl", report)
    return {_normalise(name): version for name, version in files}


def test_every_stage_that_installs_packages_is_on_a_base_this_test_knows() -> None:
    """A stage moved to another base must tell BASES that base's Python and glibc."""
    installing = {
        stage for stage, lines in stages().items() if any("pip install" in line for line in lines)
    }
    assert installing == {"wheel", "service", "lambda", "emr-env"}
    for stage in installing:
        assert external_base(stage).image in BASES, stage
    assert arg_default("emr-env", "PYTHON_FULL_VERSION").rsplit(".", 1)[0] == "3.11"


@pytest.mark.parametrize("install", installs(), ids=lambda install: install.stage)
def test_every_package_the_stage_installs_is_a_wheel_for_its_base(install: Install) -> None:
    report = download(install)
    wheels = _wheels_named(report)
    assert wheels, report
    if install.constrained:
        locked = _locked()
        assert {"pyarrow", "duckdb", "pydantic-core", "orjson"} <= wheels.keys()
        unpinned = {name: version for name, version in wheels.items() if name not in locked}
        assert unpinned == {}, "installed by the image but not pinned in requirements/dev.lock"
        moved = {name: (version, locked[name]) for name, version in wheels.items()}
        assert {name: pair for name, pair in moved.items() if pair[0] != pair[1]} == {}


def test_the_check_refuses_the_amazon_linux_2_lambda_base_the_issue_found() -> None:
    """The same check on the old Lambda base fails on pyarrow: it would have caught the bug."""
    if not _pypi_reachable():
        pytest.skip("PyPI is unreachable: the refusal is only meaningful against the index")
    pyarrow = f"pyarrow=={_locked()['pyarrow']}"
    CACHE.mkdir(parents=True, exist_ok=True)
    result = pip_download(AMAZON_LINUX_2_LAMBDA, (pyarrow,), constrained=False, offline=False)
    assert result.returncode != 0
    assert "No matching distribution found for pyarrow" in result.stderr, result.stderr[-2000:]
