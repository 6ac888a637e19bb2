"""Settings for a stream-backed ingest API against the moto server, with a known API key."""

from __future__ import annotations

import pytest

from contract.settings import ApiKey, Settings, hash_api_key
from tests.unit.ingest_api.conftest import event

API_KEY = "integration-key"
SOURCE = "web-shop"
__all__ = ["API_KEY", "ROOMY_BUDGET_SECONDS", "SOURCE", "api_settings", "event"]


ROOMY_BUDGET_SECONDS = 10.0
"""The machine is shared and slow; tests that are not about the budget must not trip over it."""


@pytest.fixture
def api_settings(moto_settings: Settings) -> Settings:
    return moto_settings.model_copy(
        update={
            "api_keys": [ApiKey(source=SOURCE, sha256=hash_api_key(API_KEY))],
            "publish_budget_seconds": ROOMY_BUDGET_SECONDS,
        }
    )
