"""`FastPathMiddleware`: `LeanRoute`s served without FastAPI's per-request machinery.

The event routes are declared on `APIRouter`s with `route_class=LeanRoute`, so FastAPI documents
them (models, every status code, request body, security) and the OpenAPI schema stays the one
description of the API. Their endpoints take the bare `Request` and return a `Response`; they
read, validate and authenticate by themselves and raise `ApiError` to refuse. This middleware,
inside the request-id middleware, calls them directly for their exact method and path, skipping
FastAPI's exception, exit-stack and routing layers: profiled, those cost more CPU than everything
the endpoint does (ADR 0010). Any other request goes on to FastAPI.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from ingest_api.errors import ApiError, api_error_handler
from ingest_api.routes.lean import LeanRoute

Endpoint = Callable[[Request], Awaitable[Response]]


class FastPathMiddleware:
    def __init__(self, app: ASGIApp, routes: Iterable[BaseRoute]) -> None:
        self.app = app
        self._endpoints: dict[tuple[str, str], Endpoint] = {
            (method, route.path): route.endpoint
            for route in routes
            if isinstance(route, LeanRoute)
            for method in route.methods or ()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            endpoint = self._endpoints.get((scope["method"], scope["path"]))
            if endpoint is not None:
                await _serve(endpoint, scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _serve(endpoint: Endpoint, scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive, send)
    try:
        response = await endpoint(request)
    except ApiError as error:
        response = await api_error_handler(request, error)
    except ClientDisconnect:
        return
    await response(scope, receive, send)
