"""Readiness of the local stack's servers: how the emulator starts, waiting for health checks.

(Whether their ports are free is one of `salesflow doctor`'s checks, `devstack.checks`.)
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from devstack.errors import DevstackError


class NotReadyError(DevstackError):
    """A server did not answer its health check in time, or its process died first."""


def emulator_command(host: str, port: int) -> list[str]:
    """The AWS emulator (moto, see `devstack.emulator`), run with salesflow's interpreter."""
    return [sys.executable, "-m", "devstack.emulator", "--host", host, "--port", str(port)]


def wait_until_ready(
    url: str, *, timeout: float, alive: Callable[[], bool], what: str, interval: float = 0.2
) -> None:
    """Poll `url` until it answers 2xx; fail early when `alive()` says the process died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (http on loopback)
                return
        except (urllib.error.URLError, OSError):
            pass
        if not alive():
            raise NotReadyError(f"the {what} exited before answering {url}")
        if time.monotonic() > deadline:
            raise NotReadyError(f"the {what} did not answer {url} within {timeout:.0f}s")
        time.sleep(interval)
