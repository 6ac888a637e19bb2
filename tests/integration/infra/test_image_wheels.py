"""Every package an image installs exists as a wheel for that image's Python and glibc.

The images cannot be built here (no Docker engine), and a missing wheel only shows when one is:
pip then falls back to a source build, which fails (pyarrow on the Amazon Linux 2 Lambda base)
or silently compiles for minutes. So for each stage that pip-installs, this test asks pip to
download, wheels only and with hashes required, exactly the lock the stage installs
(requirements/runtime.lock for the salesflow wheel's dependencies, requirements/build.lock for
the build tools), for the platform tags of the stage's base image: its CPython version and every
manylinux tag its glibc accepts, on x86_64. In hash-checking mode pip also refuses a dependency
the lock does not pin for that platform. The salesflow wheel itself goes in with `--no-deps`, so
the test also resolves the project's own requirements under the lock's pins and checks that
nothing outside the lock would be needed. The bases' Python and glibc are written down in BASES;
a stage moved to another base fails here until BASES says what that base is.

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
from pathlib import Path

import pytest

from tests.unit.infra.dockerfile import arg_default, external_base, stages
from tests.unit.infra.terraform_tree import REPO_ROOT

pytestmark = [pytest.mark.xdist_group("image-wheels"), pytest.mark.timeout(900)]

CACHE = REPO_ROOT / ".cache" / "image-wheels"
RUNTIME_LOCK = REPO_ROOT / "requirements" / "runtime.lock"
BUILD_LOCK = REPO_ROOT / "requirements" / "build.lock"


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
    """One stage's `pip install --require-hashes -r LOCK`, on which platform."""

    stage: str
    platform: Platform
    lock: Path


def runtime_requirements() -> tuple[str, ...]:
    """What installing the salesflow wheel pulls in: the project's own dependencies."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return tuple(project["dependencies"])


def installs() -> list[Install]:
    """Every `pip install ... -r /tmp/<lock>` of the Dockerfile, with its stage's platform."""
    return [
        Install(stage, BASES[external_base(stage).image], REPO_ROOT / "requirements" / lock)
        for stage, lines in stages().items()
        for line in lines
        for lock in re.findall(r"pip install [^&]*-r /tmp/([\w-]+\.lock)", line)
    ]


def manylinux_tags(glibc_minor: int) -> list[str]:
    """Every platform tag a glibc 2.<minor> x86_64 system accepts, newest first (PEP 600 and the
    legacy aliases pip does not expand itself)."""
    tags = [f"manylinux_2_{minor}_x86_64" for minor in range(glibc_minor, 4, -1)]
    aliases = {17: "manylinux2014_x86_64", 12: "manylinux2010_x86_64", 5: "manylinux1_x86_64"}
    return tags + [alias for minor, alias in aliases.items() if minor <= glibc_minor]


def pip_download(
    platform: Platform, arguments: tuple[str, ...], *, offline: bool
) -> subprocess.CompletedProcess[str]:
    """`pip download` of `arguments` (requirements, `-r`, `--constraint`) for `platform`."""
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
        *(("--no-index", "--find-links", str(CACHE)) if offline else ()),
        *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=800, check=False)


def download(install: Install, arguments: tuple[str, ...]) -> str:
    """pip's report of a successful download; offline from the cache when it holds everything."""
    CACHE.mkdir(parents=True, exist_ok=True)
    offline = pip_download(install.platform, arguments, offline=True)
    if offline.returncode == 0:
        return offline.stdout
    if not _pypi_reachable():
        pytest.skip(
            f"{install.stage}: PyPI is unreachable and {CACHE} lacks wheels this install needs; "
            "run the test once on a machine that reaches pypi.org"
        )
    online = pip_download(install.platform, arguments, offline=False)
    assert online.returncode == 0, (
        f"{install.stage} ({install.platform.why}): a locked package has no wheel for this "
        "base, or no hash in the lock matches it, or the lock misses a dependency, so the "
        f"image build would compile or fail:\n{online.stderr[-3000:]}"
    )
    return online.stdout


def _pypi_reachable() -> bool:
    try:
        with urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=10):
            return True
    except (urllib.error.URLError, TimeoutError):
        return False


def _locked(lock: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", lock.read_text(), flags=re.MULTILINE)
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
    assert {(install.stage, install.lock.name) for install in installs()} == {
        ("wheel", "build.lock"),
        ("service", "runtime.lock"),
        ("lambda", "runtime.lock"),
        ("emr-env", "build.lock"),
        ("emr-env", "runtime.lock"),
    }
    for stage in installing:
        assert external_base(stage).image in BASES, stage
    assert arg_default("emr-env", "PYTHON_FULL_VERSION").rsplit(".", 1)[0] == "3.11"


@pytest.mark.parametrize(
    "install", installs(), ids=lambda install: f"{install.stage}-{install.lock.stem}"
)
def test_every_package_the_stage_installs_is_a_hashed_wheel_for_its_base(
    install: Install, tmp_path: Path
) -> None:
    locked = _locked(install.lock)
    report = download(install, ("--require-hashes", "-r", str(install.lock)))
    assert _wheels_named(report) == locked, report
    if install.lock != RUNTIME_LOCK:
        return
    assert {"pyarrow", "duckdb", "pydantic-core", "orjson"} <= locked.keys()
    # The salesflow wheel goes in with --no-deps: what it requires (extras included) must already
    # be in the lock, at the locked version.
    pins = tmp_path / "pins.txt"
    pins.write_text("".join(f"{name}=={version}\n" for name, version in locked.items()))
    wheels = _wheels_named(download(install, ("--constraint", str(pins), *runtime_requirements())))
    unpinned = {name: version for name, version in wheels.items() if name not in locked}
    assert unpinned == {}, f"the salesflow wheel needs these, not pinned in {install.lock.name}"
    assert {name: version for name, version in wheels.items() if locked[name] != version} == {}


def test_the_check_refuses_the_amazon_linux_2_lambda_base_the_issue_found() -> None:
    """The same check on the old Lambda base fails on pyarrow: it would have caught the bug."""
    if not _pypi_reachable():
        pytest.skip("PyPI is unreachable: the refusal is only meaningful against the index")
    pyarrow = f"pyarrow=={_locked(RUNTIME_LOCK)['pyarrow']}"
    CACHE.mkdir(parents=True, exist_ok=True)
    result = pip_download(AMAZON_LINUX_2_LAMBDA, (pyarrow,), offline=False)
    assert result.returncode != 0
    assert "No matching distribution found for pyarrow" in result.stderr, result.stderr[-2000:]
