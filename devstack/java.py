"""Which Java runtime Spark will run on, and where a runtime Spark 3.5 supports is installed.

Spark's launcher runs `$JAVA_HOME/bin/java` when JAVA_HOME is set and `java` from PATH
otherwise: that runtime is the one *in use*. A supported runtime may still be installed where the
launcher does not look: Homebrew's `openjdk@17` is keg-only (never linked onto PATH, and macOS's
own `/usr/bin/java` is a stub that only says no Java is installed), and a Linux machine may hold
several JDKs under /usr/lib/jvm with `java` pointing at one Spark 3.5 does not support (it runs on
8, 11 and 17; 21 and later are not supported, and from 23 on Hadoop's login code fails). So
`find_java` reports both the runtime in use and the best supported one, and callers either set
JAVA_HOME for their children (`salesflow up`, the tests) or tell the user what to export.

Standard library only: the set-up imports it with the system Python before .venv exists.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_MAJORS = (17, 11, 8)
"""Java versions Spark 3.5 runs on, in order of preference (17: the newest, what we install)."""
RECOMMENDED_MAJOR = 17
LINUX_JVM_DIRS = (Path("/usr/lib/jvm"),)
"""Where Debian, Ubuntu, Fedora and RHEL packages put each JDK (one folder per runtime)."""
HOMEBREW_FORMULA = f"openjdk@{RECOMMENDED_MAJOR}"
HOMEBREW_PREFIXES = (
    Path("/opt/homebrew/opt") / HOMEBREW_FORMULA,  # Apple silicon
    Path("/usr/local/opt") / HOMEBREW_FORMULA,  # Intel Macs
    Path("/home/linuxbrew/.linuxbrew/opt") / HOMEBREW_FORMULA,
)
MACOS_JAVA_HOME_TOOL = Path("/usr/libexec/java_home")
PROBE_TIMEOUT_SECONDS = 30.0
"""A JVM answers `-version` in well under a second; a first start on a cold disk takes a few."""

_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?[^"]*"')


@dataclass(frozen=True)
class JavaRuntime:
    """One Java installation: its home (what JAVA_HOME must name) and the version it reports."""

    home: Path
    version: str
    major: int
    found_via: str
    """Where it was found: JAVA_HOME, PATH, Homebrew, /usr/lib/jvm, ..."""

    @property
    def supported(self) -> bool:
        return self.major in SUPPORTED_MAJORS


@dataclass(frozen=True)
class JavaLookup:
    """The runtime Spark would use now, and the best supported one on the machine."""

    java_home: str | None
    """JAVA_HOME as set in the environment (None: unset)."""
    in_use: JavaRuntime | None
    """What Spark runs: JAVA_HOME's runtime when it is set, else `java` from PATH."""
    best: JavaRuntime | None
    """The runtime in use when supported, else the most preferred supported one found."""

    @property
    def java_home_broken(self) -> bool:
        """JAVA_HOME names a folder without a working `bin/java`: Spark fails whatever PATH says."""
        return self.java_home is not None and self.in_use is None

    def java_home_for_children(self) -> Path | None:
        """The JAVA_HOME a child process needs to run on `best`; None when it already would."""
        if self.best is None or self.best == self.in_use:
            return None
        return self.best.home


def parse_java_version(output: str) -> tuple[str, int] | None:
    """`java -version`'s text (stderr) -> ("17.0.15", 17); Java 8 says "1.8.0_382" -> 8."""
    match = _VERSION.search(output)
    if match is None:
        return None
    first = int(match.group(1))
    major = int(match.group(2)) if first == 1 and match.group(2) else first
    version = match.group(0).split('"')[1]
    return version, major


def probe(home: Path, found_via: str) -> JavaRuntime | None:
    """Run `<home>/bin/java -version`; None when there is no such program or it does not answer."""
    executable = home / "bin" / "java"
    if not os.access(executable, os.X_OK) or executable.is_dir():
        return None
    try:
        result = subprocess.run(
            [str(executable), "-version"],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    parsed = parse_java_version(result.stderr + result.stdout)
    if result.returncode != 0 or parsed is None:
        return None
    version, major = parsed
    return JavaRuntime(home=home, version=version, major=major, found_via=found_via)


def find_java(
    env: Mapping[str, str] | None = None,
    *,
    kernel: str | None = None,
    jvm_dirs: Sequence[Path] = LINUX_JVM_DIRS,
    homebrew_prefixes: Sequence[Path] = HOMEBREW_PREFIXES,
) -> JavaLookup:
    """Probe the runtime in use; only when it is missing or unsupported, look further.

    On a healthy machine this costs one `java -version` (about 0.1 s). `env` defaults to this
    process's environment, `kernel` to `uname -s` (`Darwin` adds macOS's `java_home` tool).
    """
    env = os.environ if env is None else env
    kernel = kernel or os.uname().sysname
    java_home = env.get("JAVA_HOME") or None
    on_path = shutil.which("java", path=env.get("PATH", os.defpath))
    path_home = Path(on_path).resolve().parent.parent if on_path else None
    if java_home is not None:
        in_use = probe(Path(java_home), "JAVA_HOME")
    else:
        in_use = probe(path_home, "PATH") if path_home else None
    if in_use is not None and in_use.supported:
        return JavaLookup(java_home=java_home, in_use=in_use, best=in_use)
    seen = {in_use.home.resolve()} if in_use else set()
    found: list[JavaRuntime] = []
    candidates = _candidate_homes(env, kernel, jvm_dirs, homebrew_prefixes)
    if java_home is not None and path_home is not None:  # JAVA_HOME hides PATH's java
        candidates = itertools.chain([(path_home, "PATH")], candidates)
    for home, via in candidates:
        if home.resolve() in seen:
            continue
        seen.add(home.resolve())
        runtime = probe(home, via)
        if runtime is not None and runtime.supported:
            found.append(runtime)
    found.sort(key=lambda runtime: SUPPORTED_MAJORS.index(runtime.major))
    return JavaLookup(java_home=java_home, in_use=in_use, best=found[0] if found else None)


def _candidate_homes(
    env: Mapping[str, str],
    kernel: str,
    jvm_dirs: Sequence[Path],
    homebrew_prefixes: Sequence[Path],
) -> Iterator[tuple[Path, str]]:
    if kernel == "Darwin" and MACOS_JAVA_HOME_TOOL.exists():
        for major in SUPPORTED_MAJORS:
            home = _run_for_path([str(MACOS_JAVA_HOME_TOOL), "-v", str(major)])
            if home is not None:
                yield home, str(MACOS_JAVA_HOME_TOOL)
    prefixes = list(homebrew_prefixes)
    brew = shutil.which("brew", path=env.get("PATH", os.defpath))
    if brew is not None:
        prefix = _run_for_path([brew, "--prefix", HOMEBREW_FORMULA])
        if prefix is not None:
            prefixes.insert(0, prefix)
    for prefix in prefixes:
        for home in (prefix / "libexec" / "openjdk.jdk" / "Contents" / "Home", prefix / "libexec"):
            yield home, f"Homebrew {HOMEBREW_FORMULA}"
    for jvm_dir in jvm_dirs:
        if jvm_dir.is_dir():
            for home in sorted(jvm_dir.iterdir()):
                yield home.resolve(), str(jvm_dir)  # Debian's java-1.17.0-... is an alias


def _run_for_path(argv: list[str]) -> Path | None:
    """The path a helper prints (`brew --prefix`, `java_home`), or None when it fails."""
    try:
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = result.stdout.strip()
    return Path(text) if result.returncode == 0 and text else None


def find_newer_java(
    minimum_major: int,
    env: Mapping[str, str] | None = None,
    *,
    jvm_dirs: Sequence[Path] = LINUX_JVM_DIRS,
) -> JavaRuntime | None:
    """The newest runtime of at least `minimum_major` among JAVA_HOME's, PATH's and each JDK
    under /usr/lib/jvm; None when there is none.

    For the Java engines that need a newer runtime than Spark runs on (Trino, as Athena's engine
    in the tests): a machine keeps Spark's JAVA_HOME and holds the newer JDK beside it."""
    env = os.environ if env is None else env
    candidates: list[tuple[Path, str]] = []
    if env.get("JAVA_HOME"):
        candidates.append((Path(env["JAVA_HOME"]), "JAVA_HOME"))
    on_path = shutil.which("java", path=env.get("PATH", os.defpath))
    if on_path:
        candidates.append((Path(on_path).resolve().parent.parent, "PATH"))
    for jvm_dir in jvm_dirs:
        if jvm_dir.is_dir():
            candidates.extend((home.resolve(), str(jvm_dir)) for home in sorted(jvm_dir.iterdir()))
    found: list[JavaRuntime] = []
    seen: set[Path] = set()
    for home, via in candidates:
        if home.resolve() in seen:
            continue
        seen.add(home.resolve())
        runtime = probe(home, via)
        if runtime is not None and runtime.major >= minimum_major:
            found.append(runtime)
    return max(found, key=lambda runtime: runtime.major, default=None)
