"""The set-up's system step as `make` runs it, on platforms played with fake package managers.

Each test runs `python -m devstack.host` (what scripts/bootstrap.sh runs) or bootstrap.sh itself
as a subprocess whose PATH holds only fake tools: package managers that record their arguments
and, when told, install a fake Java where the real package would put it. The os-release file,
the kernel name and the JVM folder are given on the command line, so Fedora and macOS run here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fake_tools import fake_java_home, recording_tool

REPO = Path(__file__).resolve().parents[3]
FEDORA = 'NAME="Fedora Linux"\nID=fedora\nPRETTY_NAME="Fedora Linux 41"\n'
DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
NIXOS = 'PRETTY_NAME="NixOS 24.05"\nID=nixos\n'


@dataclass
class Machine:
    root: Path
    bin: Path
    jvm: Path
    calls: Path

    def recorded(self) -> list[str]:
        return self.calls.read_text().splitlines() if self.calls.exists() else []

    def setup(self, action: str, mode: str, os_release: str, kernel: str = "Linux"):
        release = self.root / "os-release"
        release.write_text(os_release)
        return subprocess.run(
            [
                *(sys.executable, "-m", "devstack.host", action, mode),
                *("--os-release", str(release), "--kernel", kernel, "--jvm-dir", str(self.jvm)),
            ],
            cwd=self.root,
            env={"PATH": str(self.bin), "PYTHONPATH": str(REPO), "HOME": str(self.root)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    """A machine with no package manager, no Java and no browser; a `sudo` that records and runs
    its command (for runs as a user other than root)."""
    bin_dir, jvm = tmp_path / "bin", tmp_path / "jvm"
    jvm.mkdir()
    calls = tmp_path / "calls"
    recording_tool(bin_dir, "sudo", calls, 'exec /usr/bin/env "$@"')
    return Machine(tmp_path, bin_dir, jvm, calls)


def _package_manager(machine: Machine, name: str, then: str) -> None:
    """`name` records each call; `then` runs with "$@" as the arguments."""
    recording_tool(machine.bin, name, machine.calls, then)


def _tool_calls(machine: Machine, name: str) -> list[str]:
    """The calls of `name` itself (through sudo or not), without the name."""
    prefix = f"{name} "
    return [call.removeprefix(prefix) for call in machine.recorded() if call.startswith(prefix)]


def test_fedora_installs_java_with_dnf_and_finds_it(machine):
    java = fake_java_home(machine.root / "staged-java").joinpath("bin", "java")
    target = machine.jvm / "java-17-openjdk" / "bin"
    _package_manager(
        machine,
        "dnf",
        f'[ "$1" = install ] && /bin/mkdir -p {target} && /bin/cp {java} {target}/java',
    )
    result = machine.setup("install", "runtime", FEDORA)
    assert result.returncode == 0, result.stderr
    assert _tool_calls(machine, "dnf") == ["install -y java-17-openjdk-headless"]
    assert "installing a Java 17 runtime on Fedora Linux 41 with dnf" in result.stderr
    assert "no Java" not in result.stderr


def test_macos_installs_openjdk_17_with_brew_and_says_how_to_export_java_home(machine):
    keg = machine.root / "homebrew" / "opt" / "openjdk@17"
    home = keg / "libexec" / "openjdk.jdk" / "Contents" / "Home"
    java = fake_java_home(machine.root / "staged-java").joinpath("bin", "java")
    _package_manager(
        machine,
        "brew",
        f'case "$1" in\n  --prefix) echo {keg} ;;\n'
        f"  install) /bin/mkdir -p {home}/bin && /bin/cp {java} {home}/bin/java ;;\nesac",
    )
    result = machine.setup("install", "runtime", "", kernel="Darwin")
    assert result.returncode == 0, result.stderr
    installs = [call for call in _tool_calls(machine, "brew") if call.startswith("install")]
    assert installs == ["install openjdk@17"]
    assert _tool_calls(machine, "sudo") == [], "Homebrew must not run as root"
    assert f"export JAVA_HOME={home}" in result.stderr


def test_macos_test_mode_installs_java_and_a_browser_cask(machine):
    browser = machine.bin / "google-chrome"
    _package_manager(
        machine,
        "brew",
        f'[ "$1 $2" = "install --cask" ] && printf "#!/bin/sh\\n" > {browser}\n'
        f"/bin/chmod +x {browser} 2>/dev/null\nexit 0",
    )
    result = machine.setup("install", "test", "", kernel="Darwin")
    assert "install openjdk@17" in _tool_calls(machine, "brew")
    assert "install --cask google-chrome" in _tool_calls(machine, "brew")
    # The fake brew installs no Java: `make test` refuses, saying what is missing and why.
    assert result.returncode == 1
    assert "`make test` needs" in result.stderr
    assert "a Java 17 runtime: Spark runs the batch job" in result.stderr
    assert "brew install openjdk@17" in result.stderr
    assert "Chromium:" not in result.stderr


def test_debian_without_apt_get_starts_the_demo_and_says_how_to_get_java(machine):
    result = machine.setup("install", "runtime", DEBIAN)
    assert result.returncode == 0
    assert "apt-get is not on PATH" in result.stderr
    assert "`make demo` starts without it, but batch runs" in result.stderr
    assert re.search(
        r"To install it: (sudo )?apt-get install openjdk-17-jre-headless$", result.stderr, re.M
    )
    assert machine.recorded() == []


def test_a_failing_package_manager_is_reported_with_what_to_do_not_bare(machine):
    _package_manager(
        machine,
        "apt-get",
        'case "$*" in *install*) echo "E: Unable to locate package $7" >&2; exit 100 ;; esac',
    )
    result = machine.setup("install", "test", DEBIAN)
    assert result.returncode == 1
    calls = _tool_calls(machine, "apt-get")
    assert calls[0] == "-o DPkg::Lock::Timeout=600 update -qq"
    assert calls[1].endswith("install -y -qq --no-install-recommends openjdk-17-jre-headless")
    assert calls[2].endswith("install -y -qq --no-install-recommends chromium")
    assert "failed (exit code 100; its output is above)" in result.stderr
    assert "`make test` needs what is missing below" in result.stderr
    assert "the dashboard test drives a headless Chromium" in result.stderr


def test_an_unknown_system_gets_the_exact_needs_and_why(machine):
    result = machine.setup("install", "test", NIXOS)
    assert result.returncode == 1
    assert "no package manager the set-up knows on NixOS 24.05" in result.stderr
    assert "Eclipse Temurin 17 (https://adoptium.net)" in result.stderr
    assert "Spark 3.5 runs on Java 8, 11 and 17" in result.stderr
    assert machine.recorded() == []


def test_check_installs_nothing(machine):
    _package_manager(machine, "dnf", "exit 0")
    result = machine.setup("check", "test", FEDORA)
    assert result.returncode == 1
    assert machine.recorded() == []


def test_bootstrap_stops_make_test_before_the_virtualenv_when_the_browser_is_missing(machine):
    """bootstrap.sh itself, from a copy of the files it runs, on this machine's real os-release
    but with no package manager and no browser on PATH: it must stop before creating .venv."""
    copy = machine.root / "repo"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "bootstrap.sh", copy / "scripts" / "bootstrap.sh")
    (copy / "devstack").mkdir()
    for module in ("__init__.py", "host.py", "java.py"):
        shutil.copy(REPO / "devstack" / module, copy / "devstack" / module)
    for tool in ("dirname", "uname"):
        found = shutil.which(tool)
        assert found is not None
        (machine.bin / tool).symlink_to(found)
    (machine.bin / "python3").symlink_to(sys.executable)
    fake_java_home(machine.root / "jdk")
    result = subprocess.run(
        ["/bin/bash", str(copy / "scripts" / "bootstrap.sh"), "test"],
        env={
            "PATH": str(machine.bin),
            "HOME": str(machine.root),
            "JAVA_HOME": str(machine.root / "jdk"),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "`make test` needs what is missing below" in result.stderr
    assert "Chromium: the dashboard test drives a headless Chromium" in result.stderr
    assert not (copy / ".venv").exists()
    assert sorted(os.listdir(copy)) == ["devstack", "scripts"]
