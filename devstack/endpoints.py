"""Ports and readiness of the local stack's servers: refuse taken ports, wait for health checks."""

from __future__ import annotations

import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence


class PortInUseError(RuntimeError):
    """A port the stack needs is taken by another program."""


class NotReadyError(RuntimeError):
    """A server did not answer its health check in time, or its process died first."""


def ensure_ports_free(host: str, ports: Sequence[tuple[str, int, str]]) -> None:
    """Refuse to start when a port is taken, naming the option that moves the component.

    `ports` holds (component, port, option). Binding and closing a socket is the check: it is
    what the component itself will do a moment later, with SO_REUSEADDR as servers do, so a
    port still in TIME_WAIT from a stack just stopped counts as free while a listener does not.
    """
    for component, port, option in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                raise PortInUseError(
                    f"{host}:{port} is already in use, so the {component} cannot listen there: "
                    f"stop whatever uses it (another `salesflow up`? LocalStack?) or pass "
                    f"{option} with a free port"
                ) from None


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
