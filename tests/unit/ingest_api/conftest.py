"""An ingest app on the in-memory sink, its API key, and valid event payloads."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contract.settings import Settings, hash_api_key
from ingest_api.app import create_app
from ingest_api.sinks import MemorySink

API_KEY = "test-key-pos-sp"
SOURCE = "pos-sp"


@pytest.fixture
def settings() -> Settings:
    return Settings(sink="memory", api_keys=f"{SOURCE}:{hash_api_key(API_KEY)}")


@pytest.fixture
def memory_sink() -> MemorySink:
    return MemorySink()


@pytest.fixture
def client(settings: Settings, memory_sink: MemorySink) -> Iterator[TestClient]:
    with TestClient(create_app(settings, memory_sink), headers={"X-API-Key": API_KEY}) as test:
        yield test


@pytest.fixture
def event(make_event: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A valid sale payload that happened a minute ago; keyword arguments override fields."""

    def factory(**overrides: Any) -> dict[str, Any]:
        occurred_at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        return make_event(**{"occurred_at": occurred_at, **overrides})

    return factory
