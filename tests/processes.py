"""Servers that tests start: free ports, waiting until one answers, stopping it for sure.

Every test that starts a process or a uvicorn server goes through these, so a server that does not
come up fails with its own output in the message and no child outlives its test.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn


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
            with urllib.request.urlopen(url, timeout=1):
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
def uvicorn_in_thread(app: Callable[..., Any]) -> Iterator[str]:
    """Serve the ASGI `app` with a real uvicorn on a free loopback port; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
