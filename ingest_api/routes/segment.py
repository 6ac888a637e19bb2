"""`POST /v1/batch` and `POST /v1/track`: the Segment/RudderStack HTTP Tracking API (issue 8).

Success is always exactly 200: the RudderStack SDK treats any other 2xx as a failure and sends
the batch again. A 200 means every order and refund of the request is durably in the stream.
Errors are answered here, in the SDKs' `code`/`message` shape, rather than by the API's shared
handler, whose body the RudderStack SDK cannot parse.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from contract.settings import Settings
from ingest_api.errors import ApiError, json_response
from ingest_api.metrics import IngestMetrics
from ingest_api.rate_limit import admit
from ingest_api.routes.lean import LeanRoute
from ingest_api.segment.batch import (
    MESSAGE_TYPES,
    ClassifiedBatch,
    batch_messages,
    classify,
    track_message,
)
from ingest_api.segment.body import (
    basic_auth_user,
    key_for_write_key,
    parse_json,
    read_body,
)
from ingest_api.segment.mapping import MappingContext
from ingest_api.segment.responses import (
    SegmentAccepted,
    SegmentError,
    error_response,
    rejection_error,
    unavailable_error,
)
from ingest_api.service import IngestService

router = APIRouter(tags=["segment"], route_class=LeanRoute)

_MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A Segment message; `Order Completed` and `Order Refunded` track events "
    "become sales and returns (see docs/segment.md), other messages are acknowledged only.",
    "properties": {
        "type": {"type": "string", "enum": sorted(MESSAGE_TYPES)},
        "event": {"type": "string"},
        "messageId": {"type": "string"},
        "timestamp": {"type": "string", "format": "date-time"},
        "userId": {"type": "string"},
        "properties": {"type": "object"},
        "context": {"type": "object"},
    },
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": SegmentError, "description": "Not JSON, not gzip, or invalid messages."},
    401: {"model": SegmentError, "description": "The write key is missing or unknown."},
    413: {"model": SegmentError, "description": "Over 500 KB per batch or 32 KB per message."},
    415: {"model": SegmentError, "description": "A Content-Encoding other than gzip."},
    429: {
        "model": SegmentError,
        "description": "The write key is over its rate limit (each message counts as one "
        "event); nothing is stored: resend after Retry-After (the SDKs do).",
        "headers": {"Retry-After": {"schema": {"type": "string"}}},
    },
    503: {
        "model": SegmentError,
        "description": "The stream did not acknowledge in time; resend after Retry-After.",
        "headers": {"Retry-After": {"schema": {"type": "string"}}},
    },
}


def _body_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


@router.post(
    "/v1/batch",
    response_model=SegmentAccepted,
    summary="Segment/RudderStack batch: orders and refunds become sales and returns",
    responses=_ERRORS,
    openapi_extra=_body_schema(
        {
            "type": "object",
            "required": ["batch"],
            "properties": {
                "batch": {"type": "array", "minItems": 1, "items": _MESSAGE_SCHEMA},
                "sentAt": {"type": "string"},
                "writeKey": {"type": "string"},
            },
        }
    ),
)
async def post_batch(request: Request) -> Response:
    return await _ingest(request, batch_messages)


@router.post(
    "/v1/track",
    response_model=SegmentAccepted,
    summary="Segment track call: one message",
    responses=_ERRORS,
    openapi_extra=_body_schema(_MESSAGE_SCHEMA),
)
async def post_track(request: Request) -> Response:
    return await _ingest(request, lambda envelope: [track_message(envelope)])


async def _ingest(request: Request, messages_of: Callable[[Any], list[Any]]) -> Response:
    settings: Settings = request.app.state.settings
    try:
        presented = basic_auth_user(request.headers.get("authorization"))
        key = None if presented is None else key_for_write_key(presented, settings.api_keys)
        envelope = parse_json(await read_body(request))
        if key is None:
            body_key = envelope.get("writeKey") if isinstance(envelope, dict) else None
            key = key_for_write_key(body_key, settings.api_keys)
        source = key.source
        received_at = datetime.now(UTC)
        messages = messages_of(envelope)
        admit(request.app.state.limiter, request.app.state.metrics, source, len(messages))
        context = MappingContext(
            source,
            settings.segment_store_id_property,
            received_at,
            stores=key.stores,
            max_age=timedelta(days=settings.max_event_age_days),
        )
        batch = classify(messages, context)
        _count(request.app.state.metrics, batch)
        accepted = await _publish(request.app.state.service, batch, source, received_at, settings)
        if batch.rejected:
            raise rejection_error(batch.rejected, len(messages), accepted)
    except ApiError as error:
        return error_response(request, error)
    return json_response(
        200, {"success": True, "accepted": accepted, "ignored": sum(batch.ignored.values())}
    )


async def _publish(
    service: IngestService,
    batch: ClassifiedBatch,
    source: str,
    received_at: datetime,
    settings: Settings,
) -> int:
    """How many orders the stream acknowledged; 503 if it did not acknowledge them all."""
    if not batch.events:
        return 0
    outcomes = await service.accept_events(
        [event for _, event in batch.events], source, received_at
    )
    accepted = sum(outcome.written for outcome in outcomes)
    if accepted < len(outcomes):
        raise unavailable_error(len(outcomes) - accepted, accepted, settings.retry_after_seconds)
    return accepted


def _count(metrics: IngestMetrics, batch: ClassifiedBatch) -> None:
    stored = Counter(event.event_type.value for _, event in batch.events)
    rejected = Counter(message.message_type for message in batch.rejected)
    for event_type, count in stored.items():
        metrics.segment_messages("track", event_type, count)
    for message_type, count in batch.ignored.items():
        metrics.segment_messages(message_type, "ignored", count)
    for message_type, count in rejected.items():
        metrics.segment_messages(message_type, "rejected", count)
    metrics.events_rejected("invalid", len(batch.rejected))
