"""`TrustedHosts`: the servers answer only the Host names they are meant to be reached by.

A local API bound to 127.0.0.1 is still reachable from any web page the user's browser opens:
the page's own name, re-pointed by its DNS at 127.0.0.1 (DNS rebinding), makes the browser treat
the API as that page's origin, so the page can read the dashboard's numbers or post sales with
a key it guessed or found. Checking the Host header defeats that; Starlette's
`TrustedHostMiddleware` does the check (`Settings.trusted_hosts` gives the names).

The liveness probe `/healthz` answers any Host: load balancer health checks send the target's
IP address, and the answer says nothing but "the process runs".
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

ANY_HOST_PATHS = frozenset({"/healthz"})


class TrustedHosts:
    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self._app = app
        self._checked = TrustedHostMiddleware(app, allowed_hosts=allowed_hosts, www_redirect=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in ANY_HOST_PATHS:
            await self._app(scope, receive, send)
            return
        await self._checked(scope, receive, send)
