"""What a client is told when the serving layer fails: a fixed message and an id, never the cause.

An engine's message can carry SQL, table and bucket locations or an AWS request id: what an
operator needs, and a map of the deployment for anyone else. So each failure is logged whole
(structured: `error_id`, the error's type and message, the path) and answered with a message
written here, a `Retry-After` where waiting helps, and the `error_id` to find the log line by.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import Request
from fastapi.responses import JSONResponse

from contract.errors import PublicationError
from serving.engines.base import QueryTimeoutError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


async def query_failed(request: Request, error: Exception) -> JSONResponse:
    """504 for a query past its time, 503 for any other engine or publication failure."""
    error_id = _logged("query failed", request, error)
    if isinstance(error, QueryTimeoutError):
        status, message = (
            504,
            (
                "the query took longer than the serving layer allows "
                "(SALESFLOW_SERVING_QUERY_TIMEOUT_SECONDS) and was cancelled; narrow the range or "
                "the filters, or try again"
            ),
        )
    elif isinstance(error, PublicationError):
        status, message = (
            503,
            (
                "the published batch run cannot be read; an operator must republish it "
                "(`salesflow batch run`, or `salesflow batch rollback RUN_ID`)"
            ),
        )
    else:
        status, message = 503, "the query engine could not answer; try again shortly"
    return JSONResponse(
        {"detail": f"{message} (error id {error_id}, in the serving logs)", "error_id": error_id},
        status_code=status,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """500 for a failure no handler expected: the bug is in the logs, not in the answer."""
    error_id = _logged("request failed unexpectedly", request, error, level=logging.ERROR)
    return JSONResponse(
        {
            "detail": f"the serving layer failed on this request (error id {error_id}, in the "
            "serving logs); report it with the id",
            "error_id": error_id,
        },
        status_code=500,
    )


def _logged(what: str, request: Request, error: Exception, level: int = logging.WARNING) -> str:
    error_id = uuid.uuid4().hex
    logger.log(
        level,
        what,
        exc_info=error if level >= logging.ERROR else None,
        extra={
            "error_id": error_id,
            "error_type": type(error).__name__,
            "error": str(error),
            "path": request.url.path,
        },
    )
    return error_id
