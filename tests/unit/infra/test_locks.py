"""The lock files carry a sha256 hash for every pinned distribution, and every install of the
set-up requires them (issue 13, supply chain).

requirements/*.lock are written by `make lock` (uv pip compile --generate-hashes) from
pyproject.toml and requirements/*.in. scripts/bootstrap.sh, which every Makefile target that needs
.venv runs, installs them with hashes required, build dependencies included; the Dockerfile's
installs are held to the same rule in test_dockerfile.py.
"""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.unit.infra.terraform_tree import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "requirements"
LOCKS = ("dev.lock", "runtime.lock", "build.lock", "bootstrap.lock", "checkov.lock")
BOOTSTRAP = REPO_ROOT / "scripts" / "bootstrap.sh"
MAKEFILE = REPO_ROOT / "Makefile"

_ENTRY = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?P<hashes>(?: \S+)*)")
_HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def _entries(lock: str) -> list[str]:
    """Each requirement of a lock file, its continuation lines joined, comments left out."""
    text = re.sub(r"\s*\\\n\s*", " ", (REQUIREMENTS / lock).read_text())
    lines = text.splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _pins(lock: str) -> dict[str, str]:
    pins = {}
    for entry in _entries(lock):
        match = _ENTRY.fullmatch(entry)
        assert match, f"{lock}: not a pinned, hashed requirement: {entry}"
        pins[re.sub(r"[-_.]+", "-", match["name"]).lower()] = match["version"]
    return pins


def _commands(text: str) -> list[str]:
    """Shell or make lines, continuation lines joined."""
    return re.sub(r"\s*\\\n\s*", " ", text).splitlines()


def test_the_locks_are_the_ones_this_test_knows() -> None:
    assert sorted(path.name for path in REQUIREMENTS.glob("*.lock")) == sorted(LOCKS)


@pytest.mark.parametrize("lock", LOCKS)
def test_every_entry_of_the_lock_is_pinned_with_a_sha256_hash(lock: str) -> None:
    entries = _entries(lock)
    assert entries, lock
    for entry in entries:
        match = _ENTRY.fullmatch(entry)
        assert match, f"{lock}: not a `name==version --hash=...` requirement: {entry}"
        hashes = match["hashes"].split()
        assert hashes, f"{lock}: {match['name']} has no --hash=sha256: (run `make lock`)"
        assert all(_HASH.fullmatch(argument) for argument in hashes), entry


def test_the_runtime_lock_pins_the_dev_locks_versions_and_the_projects_dependencies_only() -> None:
    dev, runtime = _pins("dev.lock"), _pins("runtime.lock")
    assert {name: version for name, version in runtime.items() if dev.get(name) != version} == {}
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    direct = {
        re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~;\s]", requirement)[0]).lower()
        for requirement in project["dependencies"]
    }
    assert direct <= runtime.keys()
    assert {"pyspark", "pytest", "moto", "amazon-kclpy", "mypy"}.isdisjoint(runtime)
    assert {"pyspark", "pytest", "amazon-kclpy"} <= dev.keys()


def test_make_lock_writes_every_lock_with_hashes() -> None:
    makefile = _commands(MAKEFILE.read_text())
    (compile_,) = [line for line in makefile if line.startswith("COMPILE :=")]
    assert "uv pip compile" in compile_
    assert "--generate-hashes" in compile_
    recipe = makefile[makefile.index("lock:") + 1 :]
    recipe = recipe[: next(i for i, line in enumerate(recipe) if not line.startswith("\t"))]
    assert all(line.startswith("\t$(COMPILE) ") for line in recipe), recipe
    assert set(re.findall(r"-o requirements/(\S+)", " ".join(recipe))) == set(LOCKS)
    assert "--extra dev --extra spark --extra kcl pyproject.toml -o requirements/dev.lock" in (
        " ".join(recipe)
    )
    assert "--constraint requirements/dev.lock pyproject.toml -o requirements/runtime.lock" in (
        " ".join(recipe)
    )


def test_every_install_of_the_set_up_requires_hashes() -> None:
    """The Makefile installs nothing itself: its .venv targets run scripts/bootstrap.sh, which
    installs each lock with --require-hashes, the project with --no-deps, and lets uv build a
    source distribution only from build.lock's hashed build dependencies."""
    makefile = MAKEFILE.read_text()
    assert "pip install" not in makefile
    assert "pip sync" not in makefile
    assert "scripts/bootstrap.sh runtime" in makefile
    assert "scripts/bootstrap.sh test" in makefile

    script = _commands(BOOTSTRAP.read_text())
    (build_hashes,) = [line for line in script if line.startswith("build_hashes=(")]
    assert "--build-constraints requirements/build.lock --require-build-hashes" in build_hashes
    installs = [
        line
        for line in script
        if re.search(r"pip (install|sync)", line) and not line.lstrip().startswith("#")
    ]
    installed = set()
    for line in installs:
        lock = re.search(r"requirements/(\S+\.lock)", line)
        if lock:
            installed.add(lock[1])
            assert "--require-hashes" in line, line
            if "uv pip" in line:
                assert '"${build_hashes[@]}"' in line, line
        else:
            assert re.search(r"uv pip install .*--no-deps -e \. ", line), line
            assert '"${build_hashes[@]}"' in line, line
    assert installed == {"bootstrap.lock", "dev.lock", "checkov.lock"}
