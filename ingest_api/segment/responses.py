"""Answers in the shape both SDKs parse: `code` and `message` on every error, 200 on success.

The SDKs raise `APIError(status, body["code"], body["message"])` and log it, so `message` carries
the whole reason, per rejected message, in words a shop's developer can act on. A body without
`code` would make the RudderStack SDK mistake a 4xx for a network error and resend it for hours.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from contract.structured_logging import SAMPLED
from ingest_api.errors import ApiError, json_response
from ingest_api.models import FieldError
from ingest_api.segment.batch import RejectedMessage

logger = logging.getLogger(__name__)

MAX_REASONS_IN_MESSAGE = 5
"""Rejected messages spelled out in `message` (all of them are in `rejected`)."""


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class SegmentAccepted(_Body):
    success: bool = True
    accepted: int = Field(description="Orders and refunds now durably in the stream.")
    ignored: int = Field(description="Other messages: acknowledged and counted, not stored.")


class SegmentRejection(_Body):
    index: int = Field(description="Position of the message in `batch`, from 0.")
    message_id: str | None = Field(alias="messageId")
    errors: list[FieldError]


class SegmentError(_Body):
    success: bool = False
    code: str = Field(description="Machine-readable reason, like `invalid_messages`.")
    message: str = Field(description="What went wrong and what to do; the SDKs log it.")
    accepted: int = Field(0, description="Messages of this request that are stored anyway.")
    rejected: list[SegmentRejection] = Field(default_factory=list)


def error_response(request: Request, error: ApiError) -> Response:
    request.app.state.metrics.request_rejected(error.error)
    logger.info(
        "segment request refused",
        extra={
            "status": error.status_code,
            "reason": error.error,
            "path": request.url.path,
            SAMPLED: True,
        },
    )
    body = {"success": False, "code": error.error, "message": error.message, **error.body}
    return json_response(error.status_code, body, error.headers)


def rejection_error(rejected: list[RejectedMessage], total: int, accepted: int) -> ApiError:
    """413 when a message is over 32 KB, else 400; the others of the batch are stored."""
    too_large = any(message.too_large for message in rejected)
    reasons = "; ".join(_reason(message) for message in rejected[:MAX_REASONS_IN_MESSAGE])
    more = len(rejected) - MAX_REASONS_IN_MESSAGE
    return ApiError(
        413 if too_large else 400,
        "message_too_large" if too_large else "invalid_messages",
        f"{len(rejected)} of {total} messages rejected and not stored{_stored(accepted)}: "
        f"{reasons}" + (f"; and {more} more" if more > 0 else ""),
        body={
            "accepted": accepted,
            "rejected": [
                {
                    "index": message.index,
                    "messageId": message.message_id,
                    "errors": [error.model_dump() for error in message.errors],
                }
                for message in rejected
            ],
        },
    )


def unavailable_error(unacknowledged: int, accepted: int, retry_after_seconds: int) -> ApiError:
    return ApiError(
        503,
        "sink_unavailable",
        f"the stream did not acknowledge {unacknowledged} orders in time and they are not "
        f"stored ({accepted} are); resend the batch unchanged after {retry_after_seconds}s: "
        "messageId makes the resend idempotent",
        body={"accepted": accepted},
        headers={"Retry-After": str(retry_after_seconds)},
    )


def _stored(accepted: int) -> str:
    return f" ({accepted} others are stored; resending them is harmless)" if accepted else ""


def _reason(message: RejectedMessage) -> str:
    where = f"message {message.index}" + (
        f" (messageId {message.message_id})" if message.message_id else ""
    )
    problems = ", ".join(
        f"{error.path}: {error.message}" if error.path else error.message
        for error in message.errors
    )
    return f"{where}: {problems}"
