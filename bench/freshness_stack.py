"""The stack the freshness benchmark measures: `salesflow up --no-emulator` on free ports with a
state folder of its own, against an emulator of its own (`devstack.emulator`, as the stack runs
it) whose resources are made as `salesflow up` makes them, so the benchmark knows its pid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from contract.settings import Settings
from devstack.local_servers import FAKE_CREDENTIALS, free_port, python_module, wait_for_http
from devstack.resources import bootstrap_resources

STOP_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Stack:
    up: subprocess.Popen[bytes]
    emulator: subprocess.Popen[bytes]
    state: Path
    ingest_url: str
    serve_url: str
    api_key: str


@contextmanager
def running_stack(
    scratch: Path, *, sink: str, reporting_tz: str, cache_seconds: float | None
) -> Iterator[Stack]:
    """The emulator, then `salesflow up`; on exit SIGTERM to `up` (which stops its components),
    then the emulator."""
    state = scratch / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESFLOW_")}
    env |= FAKE_CREDENTIALS
    moto_port = free_port()
    endpoint = f"http://127.0.0.1:{moto_port}"
    emulator_arguments = ["devstack.emulator", "-H", "127.0.0.1", "-p", str(moto_port)]
    with python_module(emulator_arguments, env, scratch / "emulator.out") as emulator:
        wait_for_http(f"{endpoint}/moto-api/", emulator, timeout=60, log=scratch / "emulator.out")
        stack_env = env | {
            "SALESFLOW_AWS_ENDPOINT_URL": endpoint,
            "SALESFLOW_SINK": sink,
            "SALESFLOW_REPORTING_TZ": reporting_tz,
        }
        if cache_seconds is not None:
            stack_env["SALESFLOW_SERVING_CACHE_SECONDS"] = str(cache_seconds)
        _bootstrap(stack_env, state)
        with _salesflow_up(scratch, state, stack_env) as (up, ingest_url, serve_url):
            key = (state / "api-key").read_text().strip()
            yield Stack(up, emulator, state, ingest_url, serve_url, key)


def _bootstrap(env: dict[str, str], state: Path) -> None:
    """The stream, queues and table, as `salesflow up` creates them on its own emulator."""
    settings = Settings(
        aws_endpoint_url=env["SALESFLOW_AWS_ENDPOINT_URL"],
        state_dir=state,
        lake_uri=str(state / "lake"),
    )
    os.environ.update({k: v for k, v in FAKE_CREDENTIALS.items() if k not in os.environ})
    bootstrap_resources(settings, lake_uri=settings.lake_uri)


@contextmanager
def _salesflow_up(
    scratch: Path, state: Path, env: dict[str, str]
) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    ingest_port, serve_port = free_port(), free_port()
    command = [sys.executable, "-m", "salesflow", "up", "--no-emulator", "--no-simulator"]
    command += ["--no-nightly", "--state-dir", str(state)]
    command += ["--ingest-port", str(ingest_port), "--serve-port", str(serve_port)]
    log = scratch / "up.out"
    with log.open("wb") as output:
        up = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    ingest_url, serve_url = f"http://127.0.0.1:{ingest_port}", f"http://127.0.0.1:{serve_port}"
    try:
        wait_for_http(f"{ingest_url}/readyz", up, timeout=240, log=log, interval=0.5)
        wait_for_http(f"{serve_url}/healthz", up, timeout=240, log=log, interval=0.5)
        yield up, ingest_url, serve_url
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(up.pid, signal.SIGKILL)
            raise RuntimeError(f"salesflow up did not stop:\n{log.read_text()[-3000:]}") from None
