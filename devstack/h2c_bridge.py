"""An HTTP/2 cleartext (h2c) front for the AWS emulator, for the KCL daemon's Kinesis client.

The KCL builds its Kinesis client on Netty with HTTP/2 forced (Kinesis on AWS speaks it over TLS)
and, against an `http://` endpoint, opens with the HTTP/2 preface ("prior knowledge"). moto's
server speaks HTTP/1.1 only and answers that preface with an HTML error page, so the daemon never
lists a shard. This bridge accepts h2c (and HTTP/1.1) with hypercorn and forwards each request
unchanged to the emulator over HTTP/1.1: the daemon talks to the same moto backends as every
other component, and only the framing differs (docs/adr/0019).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from hypercorn.asyncio import serve
from hypercorn.config import Config

from devstack.errors import DevstackError
from devstack.local_servers import free_port

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "http2-settings", "te"}
)
"""Headers that describe one connection, not the request: never forwarded either way."""
STARTUP_TIMEOUT = 15.0


class ForwardingApp:
    """An ASGI app sending every HTTP request to `upstream` and relaying the answer."""

    def __init__(self, upstream: str) -> None:
        self._upstream = upstream
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._forward(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._client = httpx.AsyncClient(base_url=self._upstream, timeout=60.0)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self._client is not None, "hypercorn runs the lifespan startup first"
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        target = scope["raw_path"].decode("latin-1")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("latin-1")
        response = await self._client.request(
            scope["method"],
            target,
            headers=[(k, v) for k, v in scope["headers"] if k.decode().lower() not in _HOP_BY_HOP],
            content=bytes(body),
        )
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in response.headers.items()
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length"
        ]
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        await send({"type": "http.response.body", "body": response.content})


@contextmanager
def h2c_bridge(upstream: str) -> Iterator[str]:
    """Serve the bridge to `upstream` on a free loopback port in a thread; yield its endpoint."""
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    loop = asyncio.new_event_loop()
    stopping = asyncio.Event()
    started = threading.Event()
    failures: list[BaseException] = []

    async def main() -> None:
        started.set()
        await serve(ForwardingApp(upstream), config, shutdown_trigger=stopping.wait)  # type: ignore[arg-type]

    def target() -> None:
        try:
            loop.run_until_complete(main())
        except BaseException as error:
            failures.append(error)
            started.set()

    thread = threading.Thread(target=target, name="h2c-bridge", daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(port, started, failures)
        yield endpoint
    finally:
        loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout=10)
        loop.close()


def _wait_until_listening(
    port: int, started: threading.Event, failures: list[BaseException]
) -> None:
    started.wait(STARTUP_TIMEOUT)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not failures:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    raise DevstackError(
        f"the HTTP/2 bridge to the emulator did not listen on 127.0.0.1:{port} within "
        f"{STARTUP_TIMEOUT:g} s: {failures[0] if failures else 'no error reported'}"
    )
