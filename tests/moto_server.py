"""A real moto server process on a free loopback port, for tests and benchmarks.

It is `devstack.emulator`: moto's own server with Kinesis requests serialised, as the local stack
runs it (moto's Kinesis backend loses records under concurrent PutRecords otherwise).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tests.processes import free_port, stop, wait_for_http

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def moto_server(startup_timeout: float = 30.0) -> Iterator[str]:
    """Start `moto.server` as a child process and yield its endpoint URL; stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.emulator", "-H", "127.0.0.1", "-p", str(port)],
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
