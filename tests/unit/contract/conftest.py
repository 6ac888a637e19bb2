"""Fixtures of the contract's unit tests."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest


@pytest.fixture
def machine_in_sao_paulo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone set to Sao Paulo: instants the contract stamps or compares must
    not depend on the zone of the machine they run on (the test machines run in UTC)."""
    monkeypatch.setenv("TZ", "America/Sao_Paulo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
