"""`InternalRoutes`: the operational routes answer 404 to requests a proxy forwarded.

On AWS the load balancer's listener rules answer `/metrics`, `/readyz`, `/docs` and
`/openapi.json` 404 by path pattern, compared with the path as the client sent it: a client that
percent-encodes one letter (`/%6Detrics`) passes them, and the server, which routes on the
decoded path, would answer. A request the load balancer forwarded carries `X-Forwarded-For`; one
from inside the VPC (a health check, a scraper, an operator's port forward) does not. So the
servers refuse these routes to forwarded requests themselves, after decoding, unless
`SALESFLOW_PROXIED_INTERNAL_ROUTES` says the proxy in front is trusted with them.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

INTERNAL_PATHS = frozenset({"/metrics", "/readyz", "/docs", "/redoc", "/openapi.json"})
INTERNAL_PREFIXES = ("/docs/",)
FORWARDED_HEADERS = frozenset({b"x-forwarded-for", b"forwarded"})
_NOT_FOUND = orjson.dumps({"error": "not_found", "message": "no such route on this address"})


def is_internal(path: str) -> bool:
    return path in INTERNAL_PATHS or path.startswith(INTERNAL_PREFIXES)


class InternalRoutes:
    def __init__(self, app: ASGIApp, *, proxied_allowed: bool) -> None:
        self._app = app
        self._proxied_allowed = proxied_allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not self._proxied_allowed
            and is_internal(scope["path"])
            and any(name in FORWARDED_HEADERS for name, _ in scope["headers"])
        ):
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": _NOT_FOUND})
            return
        await self._app(scope, receive, send)
