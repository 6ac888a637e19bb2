"""The API's error type and the one handler that turns it into a JSON error body.

Every refusal (400, 401, 413, 415, 422, 503) is an `ApiError`, so every error body has the same
shape (`ErrorResponse` or one of its batch variants) and every one is counted in the metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

from contract.errors import SalesflowError
from contract.structured_logging import SAMPLED

logger = logging.getLogger(__name__)


class IngestApiError(SalesflowError):
    """Root of the ingest layer's errors: refusals of a request (`ApiError`) and failures
    outside one (key stores, settings)."""


class ApiError(IngestApiError):
    def __init__(
        self,
        status_code: int,
        error: str,
        message: str,
        *,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error = error
        self.message = message
        self.body = dict(body or {})
        self.headers = dict(headers or {})


def json_response(
    status_code: int, content: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response serialized once with orjson (datetimes as RFC 3339)."""
    return Response(
        orjson.dumps(content),
        status_code=status_code,
        media_type="application/json",
        headers=headers or None,
    )


async def api_error_handler(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    request.app.state.metrics.request_rejected(error.error)
    logger.info(
        "request refused",
        extra={
            "status": error.status_code,
            "reason": error.error,
            "path": request.url.path,
            SAMPLED: True,
        },
    )
    body = {"error": error.error, "message": error.message, "errors": [], **error.body}
    return json_response(error.status_code, body, error.headers)
