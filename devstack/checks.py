"""What `salesflow doctor` checks on this machine, each as one line with the fix.

Every check returns a `Check`; none raises. `salesflow up` runs the cheap ones (everything here)
before starting anything and reports all the failures together; `doctor` adds the AWS ones
(`devstack.aws_checks`) that need the network.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import shutil
import socket
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from contract.lake import LakeLocation
from devstack import jars
from devstack.java import SUPPORTED_MAJORS, JavaLookup

MIN_PYTHON = (3, 11)
GIB = 1024**3
DISK_FAIL_BELOW = 1 * GIB
"""Each batch run writes a new gold run folder next to the published one, and Spark spills its
shuffles to the temp folder (1.5 GiB at 10M lines before the job's tuning, spark_session.py):
below 1 GiB a run can fail half-way, and while the published run stays, that night's is lost."""
DISK_WARN_BELOW = 5 * GIB
"""Room for weeks of the demo: measured, bronze holds about 60 bytes an event (68,759 events of
the simulator in 4.0 MB, so ~25 MB a day at its 5 events/s) and a run folder as much again for
the whole history (4.7 MB for 70,000 events), one more each night."""


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, what was found and, unless it is fine, how to fix it."""

    name: str
    status: Status
    detail: str
    fix: str = ""
    blocks_start: bool = True
    """False for what only part of the stack needs: `up` starts without Java (batch runs
    need it) and says so instead of refusing."""

    def line(self, name_width: int = 0) -> str:
        text = f"{self.status.value:<4}  {self.name.ljust(name_width)}  {self.detail}"
        return f"{text}; fix: {self.fix}" if self.fix and self.status is not Status.OK else text


def check_python(
    version: Sequence[int] = tuple(sys.version_info[:3]), executable: str = sys.executable
) -> Check:
    """The interpreter salesflow runs on, and that the batch job's Spark is installed in it."""
    shown = ".".join(str(part) for part in version)
    if tuple(version[:2]) < MIN_PYTHON:
        return Check(
            "Python",
            Status.FAIL,
            f"{shown} at {executable}; salesflow needs 3.11 or newer",
            "install Python 3.11+, then `rm -rf .venv && make setup`",
        )
    try:
        spark = f"pyspark {importlib.metadata.version('pyspark')}"
    except importlib.metadata.PackageNotFoundError:
        return Check(
            "Python",
            Status.FAIL,
            f"{shown} at {executable}, without pyspark: batch runs cannot start",
            "make setup (it installs requirements/dev.lock into .venv)",
        )
    return Check("Python", Status.OK, f"{shown} at {executable}; {spark}")


def check_java(lookup: JavaLookup, install_line: str) -> Check:
    """Java as Spark's launcher finds it (JAVA_HOME, else PATH), with what to do otherwise.

    Only batch runs need Java, so the check never blocks `up`; `install_line` is the one line
    that installs Java 17 on this machine.
    """
    supported = ", ".join(str(major) for major in sorted(SUPPORTED_MAJORS))
    best, in_use = lookup.best, lookup.in_use
    if best is not None and best == in_use:
        where = "JAVA_HOME" if lookup.java_home else "`java` on PATH; JAVA_HOME unset"
        return Check("Java", Status.OK, f"{best.version} at {best.home} ({where})")
    use_best = f"export JAVA_HOME={best.home}" if best else install_line
    if lookup.java_home_broken:
        detail = f"JAVA_HOME={lookup.java_home} has no working bin/java, so Spark cannot start"
        return Check("Java", Status.FAIL, detail, use_best, blocks_start=False)
    found = f"Java {in_use.version} at {in_use.home}" if in_use else "no Java runtime"
    if lookup.java_home:
        detail = f"JAVA_HOME names {found}; Spark 3.5 runs on Java {supported}"
        return Check("Java", Status.FAIL, detail, use_best, blocks_start=False)
    if best is not None:
        detail = (
            f"{found} on PATH, but Java {best.version} is at {best.home} ({best.found_via}); "
            "`salesflow up` gives its batch runs that JAVA_HOME"
        )
        fix = f"for other commands: {use_best}"
        return Check("Java", Status.WARN, detail, fix, blocks_start=False)
    detail = f"{found} on PATH (Spark 3.5, the batch runs, needs Java {supported})"
    return Check("Java", Status.FAIL, detail, install_line, blocks_start=False)


def check_ports(host: str, ports: Sequence[tuple[str, int, str]]) -> list[Check]:
    """One check per (component, port, option): can the component listen there?

    Binding and closing a socket is the check: it is what the component itself does a moment
    later, with SO_REUSEADDR as servers do, so a port still in TIME_WAIT from a stack just stopped
    counts as free while a listener does not.
    """
    checks = []
    for component, port, option in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                checks.append(
                    Check(
                        f"port {port}",
                        Status.FAIL,
                        f"the {component} cannot listen on {host}:{port} ({error.strerror})",
                        f"stop what uses it (another `salesflow up`? LocalStack?) or pass "
                        f"{option} with a free port",
                    )
                )
            else:
                checks.append(Check(f"port {port}", Status.OK, f"free for the {component}"))
    return checks


def check_disk(
    lake_uri: str,
    *,
    scratch: Path | None = None,
    fail_below: int = DISK_FAIL_BELOW,
    warn_below: int = DISK_WARN_BELOW,
) -> list[Check]:
    """Free space where the lake lives and where Spark spills (the temp folder), once per disk."""
    places: list[tuple[str, Path]] = []
    location = LakeLocation.parse(lake_uri)
    if location.scheme != "s3":
        places.append(("the lake", Path(location.root)))
    places.append(("Spark's scratch space", scratch or Path(tempfile.gettempdir())))
    checks: list[Check] = []
    seen_devices: set[int] = set()
    for what, path in places:
        existing = _nearest_existing(path)
        device = existing.stat().st_dev
        if device in seen_devices:
            continue
        seen_devices.add(device)
        free = shutil.disk_usage(existing).free
        detail = f"{free / GIB:.1f} GiB free for {what} ({path})"
        fix = f"free space on that disk, or move {what}" + (
            " with --lake or --state-dir" if what == "the lake" else " (TMPDIR)"
        )
        if free < fail_below:
            checks.append(Check("disk", Status.FAIL, detail, fix))
        elif free < warn_below:
            checks.append(Check("disk", Status.WARN, detail, fix))
        else:
            checks.append(Check("disk", Status.OK, detail))
    return checks


def _nearest_existing(path: Path) -> Path:
    """The path itself or its closest existing parent: a lake not created yet lands there."""
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_emulator() -> Check:
    """The AWS emulator (moto's server) imports, as `up` will run it."""
    try:
        importlib.import_module("devstack.emulator")
        moto = importlib.metadata.version("moto")
    except Exception as error:  # any import failure means it cannot start
        return Check(
            "AWS emulator",
            Status.FAIL,
            f"devstack.emulator does not import ({type(error).__name__}: {error})",
            "make setup (moto[server] comes with requirements/dev.lock)",
        )
    return Check("AWS emulator", Status.OK, f"moto {moto} server (python -m devstack.emulator)")


def check_kcl_jars() -> Check:
    """The KCL MultiLangDaemon's jars (`--consumer kcl`), fetched by the set-up, never by `up`."""
    try:
        from devstack.kcl_local import KCL_BUNDLE

        where = jars.bundle_dir(KCL_BUNDLE)
    except (ImportError, jars.MissingBundleError) as error:
        return Check(
            "KCL daemon",
            Status.FAIL,
            str(error),
            "install Maven (`mvn`), then `make setup`, or drop --consumer kcl for the local poller",
        )
    count = len(list(where.glob("*.jar")))
    return Check("KCL daemon", Status.OK, f"MultiLangDaemon jars in {where} ({count})")


def problems(checks: Sequence[Check]) -> list[Check]:
    return [check for check in checks if check.status is not Status.OK]


def render(checks: Sequence[Check]) -> str:
    width = max((len(check.name) for check in checks), default=0)
    return "\n".join(check.line(width) for check in checks)
