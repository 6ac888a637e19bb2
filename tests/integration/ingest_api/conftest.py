"""Settings for a stream-backed ingest API against the moto server, with a known API key."""

from __future__ import annotations

import pytest

from contract.settings import ApiKey, Settings, hash_api_key
from tests.unit.ingest_api.conftest import event

API_KEY = "integration-key"
SOURCE = "web-shop"
__all__ = ["API_KEY", "SOURCE", "api_settings", "event"]


@pytest.fixture
def api_settings(moto_settings: Settings) -> Settings:
    return moto_settings.model_copy(
        update={"api_keys": [ApiKey(source=SOURCE, sha256=hash_api_key(API_KEY))]}
    )
