"""Running `salesflow up` as a user would, for the end-to-end tests: a subprocess on free ports
with its own state folder, stopped by SIGTERM, checked to leave no process behind."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.local_servers import FAKE_CREDENTIALS, free_port, wait_for_http

MARKER = "SALESFLOW_E2E_STACK"


def salesflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "salesflow", *args]


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


def wait_for_banner(up: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while "Ctrl-C stops everything." not in log.read_text():
        if up.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"salesflow up printed no banner:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def stack_env(state: Path, marker: str) -> dict[str, str]:
    """The test's environment plus what `<state>/env` exports: how a user reaches the stack."""
    env = {**os.environ, **FAKE_CREDENTIALS, MARKER: marker}
    for line in (state / "env").read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        (env[name],) = shlex.split(value)
    return env


def processes_with(marker: str) -> list[int]:
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@dataclass(frozen=True)
class Stack:
    state: Path
    ingest_url: str
    serve_url: str
    key: str
    env: dict[str, str]
    output: Path
    """What `salesflow up` printed (banner, progress lines, nightly runs)."""


@contextmanager
def running_up(tmp_path: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[Stack]:
    """`salesflow up --no-simulator` on free ports; on exit SIGTERM it and check nothing is left.

    Without the default nightly run, unless `options` schedule one: a test running across 02:30
    in São Paulo would otherwise get a batch run it did not ask for.
    """
    if "--nightly-at" not in options:
        options = ("--no-nightly", *options)
    state = tmp_path / "state"
    marker = uuid.uuid4().hex
    moto_port, ingest_port, serve_port = free_port(), free_port(), free_port()
    ingest_url = f"http://127.0.0.1:{ingest_port}"
    serve_url = f"http://127.0.0.1:{serve_port}"
    log = tmp_path / f"up-{marker}.out"
    with log.open("wb") as output:
        up = subprocess.Popen(
            salesflow(
                "up",
                "--no-simulator",
                "--state-dir",
                str(state),
                "--moto-port",
                str(moto_port),
                "--ingest-port",
                str(ingest_port),
                "--serve-port",
                str(serve_port),
                *options,
            ),
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **FAKE_CREDENTIALS, **(env or {}), MARKER: marker},
            start_new_session=True,
        )
    try:
        wait_for_http(f"{ingest_url}/readyz", up, timeout=240, log=log, interval=0.5)
        assert "not started" not in log.read_text(), log.read_text()
        wait_for_http(f"{serve_url}/healthz", up, timeout=240, log=log, interval=0.5)
        wait_for_banner(up, log)
        key_file = state / "api-key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        key = key_file.read_text().strip()
        assert key in log.read_text()
        yield Stack(state, ingest_url, serve_url, key, stack_env(state, marker), log)
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
            for pid in processes_with(marker):
                os.kill(pid, signal.SIGKILL)
            pytest.fail(f"salesflow up did not stop within 180s:\n{log.read_text()[-3000:]}")
    assert up.returncode == 0, log.read_text()[-3000:]
    assert "salesflow stopped" in log.read_text()
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(marker) == []
