"""The developer's machine: which OS and package manager, and what `make demo` and `make test` need.

`scripts/bootstrap.sh` runs this with the system Python before .venv exists (so: standard
library only), as `python3 -m devstack.host install runtime|test`; the Makefile runs
`python -m devstack.host check test` before the tests, which installs nothing and says what is
missing. The decisions are pure functions of the facts (`/etc/os-release`, the kernel name, what
is on PATH, the user id), so each platform's branch is tested on any machine; the command line
takes the facts too (hidden options `--os-release FILE --kernel NAME --jvm-dir DIR`), so tests run
it as another system would, with fake package managers on PATH.

What is needed, and why:
- Java (8, 11 or 17) for Spark, which runs the batch job. `make demo` starts without it (only a
  batch run needs it) and says how to install it; `make test` refuses to start without it.
- Chromium (or Chrome) for the dashboard test, `make test` only.
- Python's venv module, which Debian and Ubuntu ship apart (`python3.X-venv`).
- Maven, `make test` only, to resolve the pinned Java engines of the AWS-path tests
  (devstack/jars.py). Without it those tests skip, naming what is missing; the rest still runs.

Where the package manager is known, the set-up installs what is missing itself: apt-get on
Debian and Ubuntu, dnf on Fedora and RHEL, Homebrew on macOS. Elsewhere (Arch, openSUSE, Alpine,
unknown systems), or when that manager is missing or fails, it prints the exact packages and why,
never a bare package-manager error.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from devstack.java import HOMEBREW_FORMULA, LINUX_JVM_DIRS, RECOMMENDED_MAJOR, find_java

Need = Literal["java", "browser", "venv", "maven"]
Mode = Literal["runtime", "test"]

WHAT: Mapping[Need, str] = {
    "java": f"a Java {RECOMMENDED_MAJOR} runtime",
    "browser": "Chromium",
    "venv": "Python's venv module",
    "maven": "Apache Maven (`mvn`)",
}
WHY: Mapping[Need, str] = {
    "java": "Spark runs the batch job (the nightly rebuild, `salesflow batch run`) on it, and "
    "Spark 3.5 runs on Java 8, 11 and 17",
    "browser": "the dashboard test drives a headless Chromium",
    "venv": "the set-up creates .venv with it",
    "maven": "it resolves the pinned Java engines the AWS-path tests run (the KCL daemon, "
    "Spark's S3 connector, Trino) from Maven Central into a cache (devstack/jars.py); without it "
    "those tests skip and say which artifact is missing",
}
BROWSER_COMMANDS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MACOS_BROWSERS = (
    Path("/Applications/Chromium.app/Contents/MacOS/Chromium"),
    Path("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
)
OS_RELEASE = Path("/etc/os-release")
FALLBACK: Mapping[Need, str] = {
    "java": f"install Eclipse Temurin {RECOMMENDED_MAJOR} (https://adoptium.net) and set JAVA_HOME "
    "to its folder",
    "browser": "install Chromium or Google Chrome and put it on PATH as `chromium`",
    "venv": "install Python 3.11+ with its venv module (https://www.python.org/downloads/)",
    "maven": "install Apache Maven 3.9 (https://maven.apache.org/install.html) and put `mvn` "
    "on PATH",
}
"""What to do where no package manager we know provides the need."""


@dataclass(frozen=True)
class Family:
    """A kind of system: its package manager and the package that provides each need."""

    name: str
    tool: str
    install: tuple[str, ...]
    """The install command without packages, as run (non-interactive)."""
    shown: tuple[str, ...]
    """The install command as a person types it."""
    packages: Mapping[Need, tuple[str, ...]]
    automatic: bool
    """Whether the set-up runs the package manager itself (the three we test) or only says how."""
    needs_root: bool = True
    refresh: tuple[str, ...] = ()
    """Run once before installing (apt-get's package lists may be missing or stale)."""
    env: Mapping[str, str] = field(default_factory=dict)
    get_tool: str = ""
    """How to get the package manager itself when it is missing (Homebrew is not preinstalled)."""


_APT_LOCK = ("-o", "DPkg::Lock::Timeout=600")
"""Wait for another apt run (unattended upgrades, a parallel job) instead of failing at once."""
_DEBIAN_JAVA = ("openjdk-17-jre-headless",)


def _apt_family(name: str, browser: str) -> Family:
    return Family(
        name=name,
        tool="apt-get",
        install=("apt-get", *_APT_LOCK, "install", "-y", "-qq", "--no-install-recommends"),
        shown=("apt-get", "install"),
        packages={
            "java": _DEBIAN_JAVA,
            "browser": (browser,),
            "venv": ("python3-venv",),
            "maven": ("maven",),
        },
        automatic=True,
        refresh=("apt-get", *_APT_LOCK, "update", "-qq"),
        env={"DEBIAN_FRONTEND": "noninteractive"},
    )


FAMILIES: Mapping[str, Family] = {
    "debian": _apt_family("Debian", "chromium"),
    "ubuntu": _apt_family("Ubuntu", "chromium-browser"),
    "fedora": Family(
        name="Fedora/RHEL",
        tool="dnf",
        install=("dnf", "install", "-y"),
        shown=("dnf", "install"),
        packages={
            "java": ("java-17-openjdk-headless",),
            "browser": ("chromium",),
            "maven": ("maven",),
        },
        automatic=True,
    ),
    "macos": Family(
        name="macOS",
        tool="brew",
        install=("brew", "install"),
        shown=("brew", "install"),
        packages={
            "java": (HOMEBREW_FORMULA,),
            "browser": ("--cask", "google-chrome"),
            "maven": ("maven",),
        },
        automatic=True,
        needs_root=False,
        get_tool="install Homebrew (https://brew.sh), then run",
    ),
    "arch": Family(
        name="Arch Linux",
        tool="pacman",
        install=("pacman", "-S", "--needed", "--noconfirm"),
        shown=("pacman", "-S"),
        packages={
            "java": ("jre17-openjdk-headless",),
            "browser": ("chromium",),
            "maven": ("maven",),
        },
        automatic=False,
    ),
    "suse": Family(
        name="openSUSE/SLES",
        tool="zypper",
        install=("zypper", "--non-interactive", "install"),
        shown=("zypper", "install"),
        packages={
            "java": ("java-17-openjdk-headless",),
            "browser": ("chromium",),
            "maven": ("maven",),
        },
        automatic=False,
    ),
    "alpine": Family(
        name="Alpine Linux",
        tool="apk",
        install=("apk", "add"),
        shown=("apk", "add"),
        packages={
            "java": ("openjdk17-jre-headless",),
            "browser": ("chromium",),
            "maven": ("maven",),
        },
        automatic=False,
    ),
}
_FAMILY_OF_ID = {
    "debian": "debian",
    "raspbian": "debian",
    "ubuntu": "ubuntu",
    "fedora": "fedora",
    "rhel": "fedora",
    "centos": "fedora",
    "rocky": "fedora",
    "almalinux": "fedora",
    "arch": "arch",
    "manjaro": "arch",
    "opensuse": "suse",
    "suse": "suse",
    "sles": "suse",
    "alpine": "alpine",
}


@dataclass(frozen=True)
class Host:
    """What the set-up knows about the machine: kernel, distribution and its family."""

    kernel: str
    description: str
    family: Family | None


def parse_os_release(text: str) -> dict[str, str]:
    """`/etc/os-release`'s KEY=value lines (values optionally quoted) as a dict."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            fields[key] = value.strip().strip("'\"")
    return fields


def detect_host(os_release: str, kernel: str) -> Host:
    """The family from the kernel (`Darwin` is macOS) or os-release's ID, then ID_LIKE in order.

    ID_LIKE lets derivatives in (Linux Mint and Pop!_OS are `ubuntu debian`, Rocky is `rhel
    centos fedora`); an exact ID wins, so Ubuntu gets Ubuntu's package names, not Debian's.
    """
    if kernel == "Darwin":
        return Host(kernel=kernel, description="macOS", family=FAMILIES["macos"])
    fields = parse_os_release(os_release)
    description = fields.get("PRETTY_NAME") or fields.get("NAME") or kernel
    ids = [fields.get("ID", ""), *fields.get("ID_LIKE", "").split()]
    for distro in ids:
        family = _FAMILY_OF_ID.get(distro.lower().split("-")[0])
        if family is not None:
            return Host(kernel=kernel, description=description, family=FAMILIES[family])
    return Host(kernel=kernel, description=description, family=None)


def venv_package(python_version: tuple[int, int]) -> str:
    """Debian and Ubuntu split venv out per interpreter: python3.11-venv for Python 3.11."""
    return f"python{python_version[0]}.{python_version[1]}-venv"


def packages_for(family: Family, need: Need, python_version: tuple[int, int]) -> tuple[str, ...]:
    """The packages that provide `need` in `family` (empty: the family has none for it)."""
    if need == "venv" and "venv" in family.packages:
        return (venv_package(python_version),)
    return family.packages.get(need, ())


def install_line(host: Host, need: Need, *, root: bool, python_version: tuple[int, int]) -> str:
    """The one line a person runs to install `need` here, e.g. `sudo dnf install java-17-...`."""
    family = host.family
    packages = packages_for(family, need, python_version) if family else ()
    if family is None or not packages:
        return FALLBACK[need]
    sudo = "sudo " if family.needs_root and not root else ""
    return f"{sudo}{' '.join(family.shown)} {' '.join(packages)}"


def install_commands(
    family: Family, needs: Sequence[Need], *, root: bool, python_version: tuple[int, int]
) -> list[tuple[Need | None, list[str]]]:
    """The commands that install `needs`, one per need (after the refresh, if any), with sudo
    when not root. Settings such as DEBIAN_FRONTEND go through sudo as arguments: sudo resets
    the environment."""
    prefix = (
        ["sudo", *(f"{name}={value}" for name, value in family.env.items())]
        if family.needs_root and not root
        else []
    )
    commands: list[tuple[Need | None, list[str]]] = []
    if family.refresh:
        commands.append((None, [*prefix, *family.refresh]))
    for need in needs:
        packages = packages_for(family, need, python_version)
        if packages:
            commands.append((need, [*prefix, *family.install, *packages]))
    return commands


def find_browser(which: Callable[[str], str | None], kernel: str) -> str | None:
    """A Chromium or Chrome the dashboard test can drive headless, or None."""
    for command in BROWSER_COMMANDS:
        found = which(command)
        if found:
            return found
    if kernel == "Darwin":
        for app in MACOS_BROWSERS:
            if app.exists():
                return str(app)
    return None


@dataclass(frozen=True)
class Machine:
    """The facts the set-up acts on; `from_system` reads them, tests build their own."""

    host: Host
    env: Mapping[str, str]
    root: bool
    python_version: tuple[int, int]
    jvm_dirs: Sequence[Path] = LINUX_JVM_DIRS
    venv_needed: bool = True
    """False once .venv exists: nothing will create a virtualenv any more."""

    @classmethod
    def from_system(cls, *, os_release: Path, kernel: str, jvm_dirs: Sequence[Path]) -> Machine:
        try:
            release = os_release.read_text()
        except OSError:
            release = ""
        return cls(
            host=detect_host(release, kernel),
            env=dict(os.environ),
            root=os.geteuid() == 0,
            python_version=(sys.version_info.major, sys.version_info.minor),
            jvm_dirs=jvm_dirs,
            venv_needed=not Path(".venv/bin/python").exists(),
        )

    def which(self, command: str) -> str | None:
        return shutil.which(command, path=self.env.get("PATH", os.defpath))

    def missing(self, mode: Mode) -> list[Need]:
        needs: list[Need] = []
        if self.venv_needed and importlib.util.find_spec("ensurepip") is None:
            needs.append("venv")
        if find_java(self.env, kernel=self.host.kernel, jvm_dirs=self.jvm_dirs).best is None:
            needs.append("java")
        if mode == "test" and find_browser(self.which, self.host.kernel) is None:
            needs.append("browser")
        if mode == "test" and self.which("mvn") is None:
            needs.append("maven")
        return needs

    def line(self, need: Need) -> str:
        """The one line to run here; first getting the package manager when that is missing."""
        line = install_line(self.host, need, root=self.root, python_version=self.python_version)
        family = self.host.family
        if family and family.get_tool and self.which(family.tool) is None:
            return f"{family.get_tool} {line}"
        return line


def install_hint(need: Need) -> str:
    """The one line that installs `need` on this machine (what `up` and `doctor` print)."""
    machine = Machine.from_system(
        os_release=OS_RELEASE, kernel=platform.system(), jvm_dirs=LINUX_JVM_DIRS
    )
    return machine.line(need)


def provide(machine: Machine, mode: Mode, *, install: bool) -> int:
    """Install what `mode` needs and is missing (when `install`), then report what still is.

    Returns the exit status: 1 when something the mode cannot run without is still missing
    (venv for both; Java and the browser for `test`; Maven's absence only skips the tests of the
    Java engines), else 0.
    """
    missing = machine.missing(mode)
    if missing and install:
        _install(machine, missing)
        missing = machine.missing(mode)
    _say_where_java_is(machine)
    if not missing:
        return 0
    if mode == "runtime" and missing == ["java"]:
        say(
            "no Java runtime found. `make demo` starts without it, but batch runs (the nightly "
            f"rebuild, `salesflow batch run`) need Java {RECOMMENDED_MAJOR}. To install it: "
            f"{machine.line('java')}"
        )
        return 0
    what = "`make test` needs" if mode == "test" else "the set-up needs"
    lines = [f"{what} what is missing below; install it, then run `make {_target(mode)}` again:"]
    for need in missing:
        lines += [f"  - {WHAT[need]}: {WHY[need]}", f"      {machine.line(need)}"]
    say("\n".join(lines))
    fatal = {"venv", "java", "browser"} if mode == "test" else {"venv"}
    return 1 if fatal & set(missing) else 0


def _target(mode: Mode) -> str:
    return "test" if mode == "test" else "demo"


def _install(machine: Machine, needs: list[Need]) -> None:
    """Run the family's package manager when we know it and can; otherwise say why not."""
    family = machine.host.family
    if family is None:
        say(f"no package manager the set-up knows on {machine.host.description}")
        return
    if not family.automatic:
        say(f"on {family.name} the set-up does not run {family.tool} itself")
        return
    if machine.which(family.tool) is None:
        say(f"{family.tool} is not on PATH, so the set-up cannot install packages on {family.name}")
        return
    if family.needs_root and not machine.root and machine.which("sudo") is None:
        say(f"installing packages with {family.tool} needs root, and sudo is not installed")
        return
    names = " and ".join(WHAT[need] for need in needs)
    say(f"installing {names} on {machine.host.description} with {family.tool}")
    for need, command in install_commands(
        family, needs, root=machine.root, python_version=machine.python_version
    ):
        env = {**machine.env, **family.env}
        try:
            status = subprocess.run(command, env=env, check=False).returncode
        except OSError as error:
            status, detail = None, str(error)
        else:
            detail = f"exit code {status}"
        if status != 0:
            say(f"`{' '.join(command)}` failed ({detail}; its output is above)")
            if need is None:  # without package lists no install can work
                return


def _say_where_java_is(machine: Machine) -> None:
    """A supported Java that Spark would not find by itself (Homebrew's keg-only openjdk)."""
    lookup = find_java(machine.env, kernel=machine.host.kernel, jvm_dirs=machine.jvm_dirs)
    home = lookup.java_home_for_children()
    if lookup.best is None or home is None:
        return
    say(
        f"Java {lookup.best.version} is installed at {home}, but Spark runs "
        f"{'$JAVA_HOME' if lookup.java_home else '`java` from PATH'}, which "
        f"{'is Java ' + str(lookup.in_use.major) if lookup.in_use else 'is missing'}. "
        "`salesflow up` and the tests set JAVA_HOME themselves; for other commands: "
        f"export JAVA_HOME={home}"
    )


def say(text: str) -> None:
    """Set-up messages go to stderr with a prefix, so they stand out in `make`'s output."""
    print(f"set-up: {text}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m devstack.host",
        description="Install (or only check) the system packages `make demo` and `make test` need.",
    )
    parser.add_argument("action", choices=["install", "check"])
    parser.add_argument("mode", choices=["runtime", "test"])
    parser.add_argument("--os-release", type=Path, default=OS_RELEASE, help=argparse.SUPPRESS)
    parser.add_argument("--kernel", default=platform.system(), help=argparse.SUPPRESS)
    parser.add_argument(
        "--jvm-dir", type=Path, action="append", default=None, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    machine = Machine.from_system(
        os_release=args.os_release,
        kernel=args.kernel,
        jvm_dirs=LINUX_JVM_DIRS if args.jvm_dir is None else args.jvm_dir,
    )
    return provide(machine, args.mode, install=args.action == "install")


if __name__ == "__main__":
    sys.exit(main())
