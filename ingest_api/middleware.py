"""Request ids: taken from `X-Request-ID` when the client sends a sane one, else made up.

A pure ASGI middleware (no per-request Starlette `BaseHTTPMiddleware` overhead) that puts the id
into `contract.structured_logging.request_id_var`, so every log line of the request carries it,
and echoes it in the response's `X-Request-ID`.
"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contract.structured_logging import request_id_var

REQUEST_ID_HEADER = b"x-request-id"
_SANE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9_.:-]{1,128}$")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope["headers"])
        token = request_id_var.set(request_id.decode())

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            request_id_var.reset(token)


def _request_id(headers: list[tuple[bytes, bytes]]) -> bytes:
    for name, value in headers:
        if name == REQUEST_ID_HEADER and _SANE_REQUEST_ID.match(value):
            return value
    return uuid.uuid4().hex.encode()
