"""The local AWS emulator: moto's server, with Kinesis requests handled one at a time.

moto's Kinesis backend is not thread-safe: two concurrent PutRecords calls can be given the same
sequence number and one record silently replaces the other, so an event the ingest API
acknowledged would vanish (measured: 2-6 lost per 3,200 records from 16 threads). Serialising
Kinesis requests costs nothing measurable, since moto runs under the GIL anyway, and makes the
local stack keep the platform's promise. Other services stay concurrent: an SQS long poll must not
block the rest of the emulator. Its Kinesis splits shards as Kinesis does
(`devstack.kinesis_resharding`), and its shards append and read in constant time
(`devstack.kinesis_shards`), so the stack keeps up with hours of load.

Run it as `python -m devstack.emulator -H 127.0.0.1 -p 4566`.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

from devstack import kinesis_resharding, kinesis_shards

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_SERIALISED_TARGET_PREFIXES = ("Kinesis_",)
"""`X-Amz-Target` prefixes of the services whose moto backends are not safe under concurrency."""


class SerialisingMiddleware:
    """Runs requests for the listed services one at a time, and everything else concurrently."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(_SERIALISED_TARGET_PREFIXES):
            return self._app(environ, start_response)
        with self._lock:
            # Consume the body inside the lock: moto does its work while the response is built.
            return list(self._app(environ, start_response))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devstack.emulator", description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=4566)
    args = parser.parse_args(argv)
    kinesis_resharding.install()
    kinesis_shards.install()
    app = SerialisingMiddleware(DomainDispatcherApplication(create_backend_app))
    run_simple(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
