"""One request's messages sorted into sale events to publish, ignored messages and rejected ones.

Each message is judged on its own, as Segment does: a bad order does not take the good orders of
the same batch down with it. Messages other than `Order Completed`/`Order Refunded` are
acknowledged and counted but not stored: the stream carries contract events only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from contract.event import SaleEvent
from ingest_api.auth import store_refusal
from ingest_api.errors import ApiError
from ingest_api.models import FieldError
from ingest_api.segment.body import MAX_MESSAGE_BYTES
from ingest_api.segment.mapping import MappingContext, commerce_event_type, map_commerce_message

MESSAGE_TYPES = frozenset({"track", "identify", "page", "screen", "group", "alias"})


@dataclass(frozen=True, slots=True)
class RejectedMessage:
    index: int
    message_id: str | None
    message_type: str
    """The message's `type` for the metrics, or `invalid` when it has no known one."""
    errors: list[FieldError]
    too_large: bool = False


@dataclass(slots=True)
class ClassifiedBatch:
    events: list[tuple[int, SaleEvent]] = field(default_factory=list)
    rejected: list[RejectedMessage] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)
    """Acknowledged, not stored: how many messages of each `type` (or `track` event)."""


def batch_messages(envelope: Any) -> list[Any]:
    """The messages of a `/v1/batch` body `{"batch": [...], "sentAt", "writeKey"}`; 400 if not."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("batch"), list):
        raise _bad_envelope('the body must be {"batch": [<message>, ...]} as the SDKs send it')
    messages: list[Any] = envelope["batch"]
    if not messages:
        raise _bad_envelope("`batch` is empty; send at least one message")
    return messages


def track_message(envelope: Any) -> dict[str, Any]:
    """The single message of a `/v1/track` body (its `type` is implied); 400 if not an object."""
    if not isinstance(envelope, dict):
        raise _bad_envelope("the body must be one track message, a JSON object")
    if envelope.get("type", "track") != "track":
        raise _bad_envelope("/v1/track takes track messages only; send others to /v1/batch")
    return {**envelope, "type": "track"}


def classify(messages: list[Any], context: MappingContext) -> ClassifiedBatch:
    batch = ClassifiedBatch()
    for index, message in enumerate(messages):
        outcome = _classify_one(message, context)
        if isinstance(outcome, SaleEvent):
            batch.events.append((index, outcome))
        elif isinstance(outcome, str):
            batch.ignored[outcome] += 1
        else:
            fields = message if isinstance(message, dict) else {}
            message_id, message_type = fields.get("messageId"), fields.get("type")
            batch.rejected.append(
                RejectedMessage(
                    index=index,
                    message_id=message_id if isinstance(message_id, str) else None,
                    message_type=message_type if message_type in MESSAGE_TYPES else "invalid",
                    errors=outcome,
                    too_large=outcome[0].type == "too_large",
                )
            )
    return batch


def _classify_one(message: Any, context: MappingContext) -> SaleEvent | str | list[FieldError]:
    """The sale event, the ignored message's type, or why the message is refused."""
    if not isinstance(message, dict):
        return [FieldError(path="", message="a message must be a JSON object", type="model_type")]
    size = len(orjson.dumps(message))
    if size > MAX_MESSAGE_BYTES:
        return [
            FieldError(
                path="",
                message=f"the message is {size} bytes; Segment allows at most "
                f"{MAX_MESSAGE_BYTES // 1024} KB per message",
                type="too_large",
            )
        ]
    message_type = message.get("type")
    if message_type not in MESSAGE_TYPES:
        return [
            FieldError(
                path="type",
                message=f"`type` must be one of {', '.join(sorted(MESSAGE_TYPES))}",
                type="enum",
            )
        ]
    event_type = commerce_event_type(message) if message_type == "track" else None
    if event_type is None:
        return str(message_type)
    mapped = map_commerce_message(message, event_type, context)
    if isinstance(mapped, SaleEvent):
        path = f"properties.{context.store_id_property}"
        refusal = store_refusal(context.source, context.stores, mapped.store_id, path)
        if refusal is not None:
            return [refusal]
    return mapped


def _bad_envelope(message: str) -> ApiError:
    return ApiError(400, "invalid_batch", message)
