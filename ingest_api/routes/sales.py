"""`POST /v1/sales` and `POST /v1/sales/batch` (docs/ingest_api.md).

A 2xx is sent only after the stream acknowledged every event it covers. Past the publish budget
the unacknowledged events get 503 with `Retry-After`; for a batch, the 503 body says which
events were written and which to resend (resending all of them is safe too: `event_id` is the
idempotency key downstream).

The endpoints are `LeanRoute`s: they take the bare `Request`, return a `Response` and use no
FastAPI dependencies; `ingest_api.fast_path` serves them, FastAPI documents them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from contract.event import SaleEvent
from ingest_api.auth import API_KEY_SECURITY, store_refusal
from ingest_api.deps import authenticate
from ingest_api.errors import ApiError, json_response
from ingest_api.models import (
    BatchAccepted,
    BatchRejected,
    BatchUnavailable,
    ErrorResponse,
    RejectedEvent,
    SaleAccepted,
)
from ingest_api.parsing import ParsedBatch, parse_batch, parse_sale_event, read_json_body
from ingest_api.routes.lean import LeanRoute

router = APIRouter(tags=["sales"], route_class=LeanRoute)


def _documented(schema_name: str) -> dict[str, Any]:
    """Request body and security as OpenAPI documents them; the routes do both themselves."""
    reference = {"$ref": f"#/components/schemas/{schema_name}"}
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": reference}}},
        "security": [API_KEY_SECURITY],
    }


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before resending the unacknowledged events.",
        "schema": {"type": "string"},
    }
}
_COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not valid JSON."},
    401: {"model": ErrorResponse, "description": "The X-API-Key header is missing or unknown."},
    413: {"model": ErrorResponse, "description": "The body is over 5 MiB or has > 500 events."},
    415: {"model": ErrorResponse, "description": "The Content-Type is not application/json."},
    429: {
        "model": ErrorResponse,
        "description": "The API key is over its rate limit (SALESFLOW_RATE_LIMIT_EVENTS_PER_"
        "SECOND, a batch counts its events); nothing is stored: resend after Retry-After.",
        "headers": {
            "Retry-After": {
                "description": "Seconds until the key's rate limit admits these events.",
                "schema": {"type": "string"},
            }
        },
    },
}


def _bound_to_stores(batch: ParsedBatch, source: str, stores: frozenset[str] | None) -> ParsedBatch:
    """The batch with the events of stores the key is not bound to moved to `rejected`."""
    if stores is None:
        return batch
    valid: list[tuple[int, SaleEvent]] = []
    refused: list[RejectedEvent] = []
    for index, event in batch.valid:
        refusal = store_refusal(source, stores, event.store_id, "store_id")
        if refusal is None:
            valid.append((index, event))
        else:
            refused.append(RejectedEvent(index=index, event_id=event.event_id, errors=[refusal]))
    if not refused:
        return batch
    rejected = sorted([*batch.rejected, *refused], key=lambda event: event.index)
    return ParsedBatch(valid=valid, rejected=rejected)


@router.post(
    "/v1/sales",
    status_code=202,
    response_model=SaleAccepted,
    summary="Send one sale or return",
    responses={
        202: {"description": "The event is durably in the stream."},
        **_COMMON_ERRORS,
        403: {
            "model": ErrorResponse,
            "description": "The API key is bound to other stores than the event's `store_id`.",
        },
        422: {"model": ErrorResponse, "description": "The event breaks the contract."},
        503: {
            "model": ErrorResponse,
            "description": "The stream did not acknowledge in time; resend the same event.",
            "headers": _RETRY_AFTER,
        },
    },
    openapi_extra=_documented("SaleEvent"),
)
async def post_sale(request: Request) -> Response:
    ingest = authenticate(request)
    ingest.admit(1)
    settings = ingest.settings
    raw = await read_json_body(request, settings.max_body_bytes)
    received_at = datetime.now(UTC)
    try:
        event = parse_sale_event(raw, received_at, ingest.max_event_age)
    except ApiError:
        ingest.metrics.events_rejected("invalid", 1)
        raise
    refusal = store_refusal(ingest.source, ingest.key.stores, event.store_id, "store_id")
    if refusal is not None:
        ingest.metrics.events_rejected("invalid", 1)
        raise ApiError(
            403, "store_not_allowed", refusal.message, body={"errors": [refusal.model_dump()]}
        )
    (outcome,) = await ingest.service.accept_events([event], ingest.source, received_at)
    if not outcome.written:
        raise ApiError(
            503,
            "sink_unavailable",
            "the stream did not acknowledge the event in time; it is not stored: resend it "
            f"unchanged after {settings.retry_after_seconds}s",
            headers={"Retry-After": str(settings.retry_after_seconds)},
        )
    return json_response(202, {"event_id": event.event_id, "ingested_at": received_at})


@router.post(
    "/v1/sales/batch",
    status_code=202,
    response_model=BatchAccepted,
    summary="Send up to 500 sales or returns",
    responses={
        202: {"description": "Every event is durably in the stream."},
        207: {
            "model": BatchAccepted,
            "description": "The valid events are in the stream; `rejected` lists the others.",
        },
        **_COMMON_ERRORS,
        422: {"model": BatchRejected, "description": "No event of the batch is valid."},
        503: {
            "model": BatchUnavailable,
            "description": "Some valid events were not acknowledged in time: resend those in "
            "`unavailable` (resending the whole batch is safe: event_id deduplicates).",
            "headers": _RETRY_AFTER,
        },
    },
    openapi_extra=_documented("BatchRequest"),
)
async def post_sales_batch(request: Request) -> Response:
    ingest = authenticate(request)
    settings = ingest.settings
    raw = await read_json_body(request, settings.max_body_bytes)
    received_at = datetime.now(UTC)
    parsed = parse_batch(raw, received_at, settings.max_batch_events, ingest.max_event_age)
    ingest.admit(len(parsed.valid) + len(parsed.rejected))
    batch = _bound_to_stores(parsed, ingest.source, ingest.key.stores)
    ingest.metrics.events_rejected("invalid", len(batch.rejected))
    rejected = [event.model_dump() for event in batch.rejected]
    if not batch.valid:
        raise ApiError(
            422,
            "validation_failed",
            "no event of the batch is valid; fix the fields listed per event in `rejected`",
            body={"rejected": rejected},
        )
    valid_events = [event for _, event in batch.valid]
    outcomes = await ingest.service.accept_events(valid_events, ingest.source, received_at)
    unavailable = [
        {"index": index, "event_id": outcome.event_id}
        for (index, _), outcome in zip(batch.valid, outcomes, strict=True)
        if not outcome.written
    ]
    accepted = len(outcomes) - len(unavailable)
    if unavailable:
        raise ApiError(
            503,
            "sink_unavailable",
            f"{len(unavailable)} valid events were not acknowledged by the stream in time and are "
            f"not stored: resend those listed in `unavailable` after "
            f"{settings.retry_after_seconds}s; the {accepted} others are stored",
            body={"accepted": accepted, "rejected": rejected, "unavailable": unavailable},
            headers={"Retry-After": str(settings.retry_after_seconds)},
        )
    status = 207 if rejected else 202
    return json_response(
        status, {"accepted": accepted, "rejected": rejected, "ingested_at": received_at}
    )
