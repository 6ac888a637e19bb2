"""Segment messages for the Segment-compatible endpoint tests (`tests/events/segment_*.json`)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import load_event

WRITE_KEY = "segment-write-key"
SOURCE = "web-shop"


def segment_message(kind: str = "order_completed", **properties: Any) -> dict[str, Any]:
    """A message of `tests/events/segment_<kind>.json` with a fresh messageId, a minute old.

    Keyword arguments replace entries of `properties`; pass `None` to remove one.
    """
    message = load_event(f"segment_{kind}")
    message["messageId"] = str(uuid.uuid4())
    message["timestamp"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(
        timespec="milliseconds"
    )
    for key, value in properties.items():
        if value is None:
            message["properties"].pop(key, None)
        else:
            message["properties"][key] = value
    return message


def basic_auth(write_key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}
