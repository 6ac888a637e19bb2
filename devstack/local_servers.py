"""Servers that tests and benchmarks start: a free loopback port, waiting until one answers,
stopping it for sure, the AWS emulator on a port of its own, `python -m` children and the real
ingest API.

Every test or benchmark that starts a process goes through these, so a server that does not come
up fails with its own output in the message and no child outlives its caller.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.settings import hash_api_key
from devstack.endpoints import emulator_command

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
"""What boto3 and pyarrow need to sign requests to the emulator, which checks none of it."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_http(
    url: str,
    process: subprocess.Popen[bytes],
    *,
    timeout: float,
    log: Path | None = None,
    interval: float = 0.1,
) -> None:
    """Poll `url` until it answers 2xx; raise with the process's log tail if the process exits
    first or the timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (http on loopback)
                return
        except OSError:
            pass
        if process.poll() is not None:
            problem = f"{process.args!r} exited with {process.returncode} before {url} answered"
        elif time.monotonic() > deadline:
            problem = f"{url} did not answer within {timeout}s"
        else:
            time.sleep(interval)
            continue
        raise RuntimeError(problem + (f":\n{log.read_text()[-3000:]}" if log else ""))


def stop(process: subprocess.Popen[Any], timeout: float = 20.0) -> int:
    """Terminate (SIGTERM), wait up to `timeout`, then kill; return the exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@contextmanager
def moto_server(startup_timeout: float = 30.0) -> Iterator[str]:
    """Start the emulator (`devstack.emulator`, moto as the local stack runs it) as a child
    process on a free port and yield its endpoint URL; stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        emulator_command("127.0.0.1", port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **FAKE_CREDENTIALS},
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{endpoint}/moto-api/", process, timeout=startup_timeout)
        yield endpoint
    finally:
        stop(process)


@contextmanager
def python_module(
    arguments: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `python -m <arguments>` as a child logging to `log`; SIGTERM it (then kill) on exit."""
    with log.open("ab") as output:
        child = subprocess.Popen(
            [sys.executable, "-m", *arguments], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield child
    finally:
        stop(child)


@dataclass(frozen=True)
class RunningApi:
    base_url: str
    headers: dict[str, str]


@contextmanager
def ingest_api(
    env: dict[str, str],
    sink: str,
    log: Path,
    *,
    api_key: str,
    timeout: float = 60.0,
    log_level: str = "warning",
) -> Iterator[RunningApi]:
    """The real ingest API (`salesflow api`) on a free port, answering `api_key`, once ready;
    quieter than in production unless `log_level` says otherwise."""
    port = free_port()
    api_env = env | {"SALESFLOW_API_KEYS": f"local:{hash_api_key(api_key)}"}
    arguments = ["salesflow", "api", "--sink", sink, "--port", str(port), "--log-level", log_level]
    with python_module(arguments, api_env, log) as child:
        base_url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base_url}/readyz", child, timeout=timeout, log=log)
        yield RunningApi(base_url, {"X-API-Key": api_key})
