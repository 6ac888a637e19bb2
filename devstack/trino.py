"""A local Trino server, Athena engine v3's own engine, for running the serving SQL for real.

The `trino` bundle (requirements/maven/trino.xml) holds the core server tarball and the Hive
connector's plugin zip; `install` unpacks both into `server/` next to them, once. `trino_server`
starts one single-node server on a free loopback port with a heap cap and the catalogs it is
given, and stops it on exit; `run_statement` speaks Trino's HTTP client protocol, whose values
are what Athena's GetQueryResults renders as text, and returns the query's final statistics with
them: `physical_input_bytes`, the bytes read from storage, is what Athena bills as data scanned.

Trino 476 needs Java 24 or later while Spark runs on 17, so the server gets its own runtime from
`find_newer_java`, never the JAVA_HOME Spark uses.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack import jars
from devstack.errors import DevstackError
from devstack.java import JavaRuntime, find_newer_java
from devstack.local_servers import free_port, stop

BUNDLE = "trino"
MINIMUM_JAVA = 24
"""Trino 476 is built for Java 24 and refuses to start on older runtimes."""
SERVER_FOLDER = "server"
PLUGINS = ("hive",)
"""The only plugins loaded (the core tarball's own optional ones are left out): a faster start."""
STARTUP_TIMEOUT_SECONDS = 240.0
"""About 50 s on a busy 2-core machine; a cold disk and a loaded CI run take longer."""


class TrinoError(DevstackError):
    """Trino could not be set up, did not start, or failed a statement (its message says why)."""


@dataclass(frozen=True)
class TrinoServer:
    endpoint: str
    """`http://127.0.0.1:PORT`."""
    log: Path


def server_home(bundle: Path) -> Path:
    """The unpacked server next to the bundle's archives, unpacked on first use.

    The tarball's single top folder is unpacked into a temporary folder renamed into place last,
    so a cut-short unpack is redone, never half used; the Hive plugin goes under
    `server/plugins/hive`."""
    home = bundle / SERVER_FOLDER
    if home.is_dir():
        return home
    partial = bundle / f"{SERVER_FOLDER}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    tarball = _one(bundle, "trino-server-core-*.tar.gz")
    with tarfile.open(tarball) as archive:
        archive.extractall(partial, filter="data")
    (top,) = partial.iterdir()
    for part in top.iterdir():
        part.rename(partial / part.name)
    top.rmdir()
    plugins = partial / "plugins"
    for name in PLUGINS:
        with zipfile.ZipFile(_one(bundle, f"trino-{name}-*.zip")) as archive:
            archive.extractall(plugins)  # noqa: S202 (ZipFile drops `..` and absolute parts)
        (unpacked,) = (path for path in plugins.iterdir() if path.name.startswith(f"trino-{name}"))
        unpacked.rename(plugins / name)
    partial.rename(home)
    return home


def java_for_trino() -> JavaRuntime:
    runtime = find_newer_java(MINIMUM_JAVA)
    if runtime is None:
        raise TrinoError(
            f"Trino needs Java {MINIMUM_JAVA} or later and none was found (JAVA_HOME, PATH, "
            "/usr/lib/jvm): install one, e.g. a Temurin 25 JDK"
        )
    return runtime


@dataclass(frozen=True)
class StatementStats:
    """A finished query's totals as the protocol's last response reports them (`stats`)."""

    query_id: str
    state: str
    physical_input_bytes: int
    """Bytes the connectors read from storage (Parquet column chunks and footers, text files):
    what Athena engine v3 bills as data scanned."""
    processed_bytes: int
    """Bytes of the rows the table scans produced, decoded (not what was read)."""
    processed_rows: int
    wall_time_ms: int
    cpu_time_ms: int


@dataclass(frozen=True)
class Statement:
    columns: list[dict[str, Any]]
    """`name`, `type` and `typeSignature` of each column."""
    rows: list[list[Any]]
    """As the protocol sends them (numbers as JSON numbers; decimals, dates and timestamps as
    text)."""
    stats: StatementStats


@contextmanager
def trino_server(
    catalogs: Mapping[str, Mapping[str, str]],
    work_dir: Path,
    *,
    heap: str = "1G",
    query_memory: str = "384MB",
) -> Iterator[TrinoServer]:
    """One coordinator that also runs the tasks, with `catalogs` (name -> catalog properties),
    its JVM heap capped at `heap` and each query at `query_memory`; stopped on exit.

    Raises jars.MissingBundleError when the bundle was not fetched, TrinoError when there is no
    Java to run it on or it does not start."""
    home = server_home(jars.bundle_dir(BUNDLE))
    java = java_for_trino()
    etc = work_dir / "etc"
    (etc / "catalog").mkdir(parents=True, exist_ok=True)
    port = free_port()
    _write_properties(etc / "config.properties", _server_properties(port, query_memory))
    for name, properties in catalogs.items():
        _write_properties(etc / "catalog" / f"{name}.properties", properties)
    command = [
        str(java.home / "bin" / "java"),
        f"-Xmx{heap}",
        "-XX:+UseSerialGC",
        "-Xss2M",
        "-cp",
        str(home / "lib" / "*"),
        f"-Dconfig={etc / 'config.properties'}",
        f"-Dcatalog.config-dir={etc / 'catalog'}",
        f"-Dplugin.dir={home / 'plugins'}",
        "-Dnode.environment=test",
        f"-Dnode.id={uuid.uuid4()}",
        f"-Dnode.data-dir={work_dir / 'data'}",
        "io.trino.server.TrinoServer",
    ]
    log = work_dir / "server.log"
    with log.open("wb") as output:
        # In the work folder: the server writes its HTTP request log under ./var/log.
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=work_dir)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_started(endpoint, process, log)
        yield TrinoServer(endpoint=endpoint, log=log)
    finally:
        stop(process)


def run_statement(server: TrinoServer, sql: str, *, catalog: str, schema: str) -> Statement:
    """Run one statement to its end: its columns, rows and final statistics."""
    headers = {
        "X-Trino-User": "salesflow",
        "X-Trino-Catalog": catalog,
        "X-Trino-Schema": schema,
        "X-Trino-Time-Zone": "UTC",
    }
    page = _json(f"{server.endpoint}/v1/statement", sql.encode(), headers)
    columns: list[dict[str, Any]] = []
    rows: list[list[Any]] = []
    while True:
        columns = page.get("columns", columns)
        rows.extend(page.get("data", []))
        if "error" in page:
            raise TrinoError(f"{_failure(page['error'])}\n{sql}")
        if "nextUri" not in page:
            return Statement(columns, rows, _stats(page))
        page = _json(page["nextUri"])


def _stats(page: Mapping[str, Any]) -> StatementStats:
    """The last response's `stats` (the query has finished: no `nextUri` follows)."""
    stats = page.get("stats", {})
    return StatementStats(
        query_id=str(page.get("id", "")),
        state=str(stats.get("state", "")),
        physical_input_bytes=int(stats.get("physicalInputBytes", 0)),
        processed_bytes=int(stats.get("processedBytes", 0)),
        processed_rows=int(stats.get("processedRows", 0)),
        wall_time_ms=int(stats.get("wallTimeMillis", 0)),
        cpu_time_ms=int(stats.get("cpuTimeMillis", 0)),
    )


def _failure(error: dict[str, Any]) -> str:
    """The error's name and message, and its root cause's (an S3 or file format error)."""
    cause = error.get("failureInfo", {})
    while cause.get("cause"):
        cause = cause["cause"]
    root = f" (caused by {cause.get('type')}: {cause.get('message')})" if cause else ""
    return f"Trino {error.get('errorName')}: {error.get('message')}{root}"


def _json(
    url: str, data: bytes | None = None, headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """GET (or POST `data` to) one of the server's loopback URLs and parse its JSON."""
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}))  # noqa: S310
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 (loopback)
        body: dict[str, Any] = json.load(response)
        return body


def _server_properties(port: int, query_memory: str) -> dict[str, str]:
    return {
        "coordinator": "true",
        "node-scheduler.include-coordinator": "true",
        "http-server.http.port": str(port),
        "discovery.uri": f"http://127.0.0.1:{port}",
        "query.max-memory": query_memory,
        "query.max-memory-per-node": query_memory,
        "task.concurrency": "2",
        "task.max-worker-threads": "4",
    }


def _write_properties(path: Path, properties: Mapping[str, str]) -> None:
    path.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))


def _wait_started(endpoint: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until `/v1/info` says the server finished starting (it answers while still starting)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TrinoError(
                f"Trino exited with {process.returncode} while starting:\n{log.read_text()[-3000:]}"
            )
        try:
            info = _json(f"{endpoint}/v1/info")
        except OSError:
            info = {"starting": True}
        if not info.get("starting", True):
            return
        time.sleep(0.5)
    raise TrinoError(
        f"Trino did not start within {STARTUP_TIMEOUT_SECONDS:.0f} s:\n{log.read_text()[-3000:]}"
    )


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise TrinoError(f"expected one {pattern} in {folder}, found {len(found)}: re-fetch it")
    return found[0]
