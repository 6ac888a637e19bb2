"""From raw request bytes to validated sale events, enforcing the limits before any parsing.

The body is read by hand so that a body over the limit is refused while it streams in (and on
its Content-Length), never buffered whole. A single event is parsed and validated in one pass
by pydantic; a batch envelope is parsed once with orjson and each event validated on its own,
so one bad event does not reject the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from fastapi import Request
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails
from starlette.requests import ClientDisconnect

from contract.event import MAX_AGE_CONTEXT_KEY, RECEIVED_AT_CONTEXT_KEY, SaleEvent
from ingest_api.errors import ApiError
from ingest_api.models import FieldError, RejectedEvent

JSON_MEDIA_TYPE = "application/json"
_MESSAGE_PREFIXES = ("Value error, ", "Assertion failed, ")


async def read_json_body(request: Request, max_bytes: int) -> bytes:
    """The request body, after checking it is JSON (415) and not over `max_bytes` (413).

    Reads the ASGI messages directly rather than through `Request.stream()`: same semantics,
    less overhead on the hot path of every event request.
    """
    _require_json_content_type(request.headers.get("content-type"))
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk: bytes = message.get("body", b"")
        received += len(chunk)
        if received > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def validation_context(received_at: datetime, max_age: timedelta | None) -> dict[str, Any]:
    """The contract's context for events received at `received_at`: not more than 5 minutes
    ahead of it, nor (with `max_age`, the API's SALESFLOW_MAX_EVENT_AGE_DAYS) older than that."""
    return {RECEIVED_AT_CONTEXT_KEY: received_at, MAX_AGE_CONTEXT_KEY: max_age}


def parse_sale_event(
    raw: bytes, received_at: datetime, max_age: timedelta | None = None
) -> SaleEvent:
    """One event: 400 if the body is not JSON, 422 with field paths if it breaks the contract."""
    try:
        return SaleEvent.model_validate_json(raw, context=validation_context(received_at, max_age))
    except ValidationError as error:
        details = error.errors(include_url=False, include_input=False)
        if details and details[0]["type"] == "json_invalid":
            raise _malformed(str(details[0]["ctx"].get("error", "invalid JSON"))) from None
        raise ApiError(
            422,
            "validation_failed",
            "the event breaks the sale event contract v1; fix the fields listed in `errors`",
            body={"errors": [e.model_dump() for e in field_errors(details)]},
        ) from None


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """A batch after validation: the valid events with their positions, and the rejected ones."""

    valid: list[tuple[int, SaleEvent]]
    rejected: list[RejectedEvent]


class _AllValidBatch(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    events: list[SaleEvent]


def parse_batch(
    raw: bytes, received_at: datetime, max_events: int, max_age: timedelta | None = None
) -> ParsedBatch:
    """`{"events": [...]}`: 400 if not JSON, 413 above `max_events`, 422 for a broken envelope.

    Most batches are entirely valid, so the whole body is first validated in one pydantic pass;
    only when that fails is it parsed again and each event validated alone, to tell which ones.
    """
    context = validation_context(received_at, max_age)
    try:
        batch = _AllValidBatch.model_validate_json(raw, context=context)
    except ValidationError:
        return _parse_event_by_event(raw, context, max_events)
    if not 1 <= len(batch.events) <= max_events:
        return _parse_event_by_event(raw, context, max_events)
    return ParsedBatch(valid=list(enumerate(batch.events)), rejected=[])


def _parse_event_by_event(raw: bytes, context: dict[str, Any], max_events: int) -> ParsedBatch:
    try:
        envelope = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise _malformed(str(error)) from None
    events = _events_of(envelope, max_events)
    valid: list[tuple[int, SaleEvent]] = []
    rejected: list[RejectedEvent] = []
    for index, item in enumerate(events):
        try:
            event = SaleEvent.model_validate_json(orjson.dumps(item), context=context)
        except ValidationError as error:
            errors = field_errors(error.errors(include_url=False, include_input=False))
            rejected.append(RejectedEvent(index=index, event_id=_event_id_of(item), errors=errors))
        else:
            valid.append((index, event))
    return ParsedBatch(valid=valid, rejected=rejected)


def field_errors(details: Sequence[ErrorDetails]) -> list[FieldError]:
    return [
        FieldError(path=field_path(d["loc"]), message=_message(d), type=d["type"]) for d in details
    ]


def field_path(location: Sequence[int | str]) -> str:
    """`("items", 0, "quantity")` -> `items[0].quantity`."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _message(detail: ErrorDetails) -> str:
    if detail["type"] == "extra_forbidden":
        return "unknown field: the sale event contract v1 has no such field; remove it"
    message = detail["msg"]
    for prefix in _MESSAGE_PREFIXES:
        message = message.removeprefix(prefix)
    return message


def _events_of(envelope: Any, max_events: int) -> list[Any]:
    def invalid(path: str, message: str, error_type: str) -> ApiError:
        return ApiError(
            422,
            "validation_failed",
            'the body must be {"events": [<sale event>, ...]}; ' + message,
            body={
                "errors": [{"path": path, "message": message, "type": error_type}],
                "rejected": [],
            },
        )

    if not isinstance(envelope, dict):
        raise invalid("", "the body must be a JSON object", "model_type")
    unknown = sorted(set(envelope) - {"events"})
    if unknown:
        raise invalid(unknown[0], "unknown field: a batch has only `events`", "extra_forbidden")
    events = envelope.get("events")
    if events is None and "events" not in envelope:
        raise invalid("events", "field required", "missing")
    if not isinstance(events, list):
        raise invalid("events", "`events` must be a list of sale events", "list_type")
    if not events:
        raise invalid("events", "`events` must hold at least 1 event", "too_short")
    if len(events) > max_events:
        raise ApiError(
            413,
            "too_many_events",
            f"a batch holds at most {max_events} events, this one has {len(events)}; "
            "split it into several requests",
        )
    return events


def _event_id_of(item: Any) -> str | None:
    event_id = item.get("event_id") if isinstance(item, dict) else None
    return event_id if isinstance(event_id, str) else None


def _require_json_content_type(content_type: str | None) -> None:
    media_type, _, parameters = (content_type or "").partition(";")
    charset = ""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if media_type.strip().lower() != JSON_MEDIA_TYPE or charset not in ("", "utf-8", "utf8"):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send the body as {JSON_MEDIA_TYPE} (UTF-8) with Content-Type: {JSON_MEDIA_TYPE}; "
            f"got {(content_type or 'no Content-Type')[:100]}",
        )


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(
        413,
        "body_too_large",
        f"the body is over {max_bytes} bytes; send fewer events per request",
    )


def _malformed(reason: str) -> ApiError:
    return ApiError(400, "malformed_json", f"the body is not valid JSON: {reason}")
