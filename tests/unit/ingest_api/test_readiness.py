"""`/readyz` answers from a background check: a flood of readiness calls probes the sink no more
often than the check interval, the answer follows the sink within an interval, and a check that
stops refreshing is reported not ready."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contract.settings import Settings
from ingest_api.app import create_app
from ingest_api.readiness import ReadinessCheck
from ingest_api.sinks import MemorySink
from ingest_api.sinks.base import Readiness
from tests.unit.ingest_api.conftest import API_KEY


class CountedSink(MemorySink):
    """An in-memory sink whose reachability the test switches, counting its probes."""

    def __init__(self) -> None:
        super().__init__()
        self.probes = 0
        self.reachable = True

    async def ready(self) -> Readiness:
        self.probes += 1
        if self.reachable:
            return Readiness(ready=True, detail="counted sink")
        return Readiness(ready=False, detail="counted sink unreachable")


def test_a_flood_of_readiness_calls_does_not_probe_the_sink_per_call(
    settings: Settings, event: Callable[..., Any]
) -> None:
    sink = CountedSink()
    slow_checks = settings.model_copy(update={"readiness_check_seconds": 60.0})
    with TestClient(create_app(slow_checks, sink), headers={"X-API-Key": API_KEY}) as client:
        answers = {client.get("/readyz").status_code for _ in range(300)}
        assert client.post("/v1/sales", json=event()).status_code == 202
    assert answers == {200}
    assert sink.probes == 1, "probed once at start, then only by the background check"


def test_readyz_follows_the_sink_within_one_interval(settings: Settings) -> None:
    sink = CountedSink()
    quick_checks = settings.model_copy(update={"readiness_check_seconds": 0.05})
    with TestClient(create_app(quick_checks, sink)) as client:
        assert client.get("/readyz").json() == {"status": "ready", "detail": "counted sink"}
        sink.reachable = False
        _eventually(lambda: client.get("/readyz").status_code == 503)
        assert client.get("/readyz").json()["detail"] == "counted sink unreachable"
        sink.reachable = True
        _eventually(lambda: client.get("/readyz").status_code == 200)


def test_a_result_the_check_stopped_refreshing_is_not_trusted() -> None:
    now = [0.0]
    check = ReadinessCheck(CountedSink(), interval_seconds=5, clock=lambda: now[0])
    assert check.latest().ready is False
    asyncio.run(check.check())
    assert check.latest().ready is True
    now[0] = 15.0
    assert check.latest().ready is True
    now[0] = 15.1
    stale = check.latest()
    assert stale.ready is False
    assert "15s old" in stale.detail


def test_the_check_interval_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().readiness_check_seconds == 5.0
    monkeypatch.setenv("SALESFLOW_READINESS_CHECK_SECONDS", "2.5")
    assert Settings().readiness_check_seconds == 2.5


def _eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the readiness answer did not follow the sink"
        time.sleep(0.02)
