"""`LeanRoute`: an APIRoute FastAPI documents but does not run through its request machinery.

FastAPI still derives the OpenAPI operation (response models, status codes, request body,
security) from the route's declaration; at request time the endpoint gets the bare `Request` and
returns a `Response`, with no dependency solving or response-model validation. Profiling the
single-event POST showed that machinery at about half of the request's CPU time; the event routes
do their own reading, validation and authentication anyway. `ingest_api.fast_path` serves these
routes before FastAPI's router is reached; this handler covers what it does not match.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class LeanRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return endpoint
