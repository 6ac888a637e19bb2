"""The Host check the servers run behind: names refused with 400 (DNS rebinding), the loopback
names and the bound host answered, `/healthz` answered whatever the Host, AWS open by default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from contract.settings import Settings
from contract.trusted_hosts import TrustedHosts
from ingest_api.app import create_app
from ingest_api.sinks import MemorySink
from tests.unit.ingest_api.conftest import API_KEY


def _served(settings: Settings, bind_host: str = "127.0.0.1") -> TestClient:
    app = TrustedHosts(create_app(settings, MemorySink()), settings.trusted_hosts(bind_host))
    return TestClient(app, base_url="http://127.0.0.1:8000", headers={"X-API-Key": API_KEY})


def test_a_foreign_host_is_refused_and_the_loopback_names_answered(
    settings: Settings, event: Callable[..., Any]
) -> None:
    with _served(settings) as client:
        rebinding = client.post("/v1/sales", json=event(), headers={"Host": "evil.example"})
        assert rebinding.status_code == 400
        assert client.get("/readyz", headers={"Host": "evil.example:8000"}).status_code == 400
        assert client.get("/metrics", headers={"Host": "attacker.test"}).status_code == 400
        assert client.post("/v1/sales", json=event()).status_code == 202
        local = client.get("/readyz", headers={"Host": "localhost:8000"})
        assert local.status_code == 200


def test_healthz_answers_any_host_for_load_balancer_probes(settings: Settings) -> None:
    with _served(settings) as client:
        probe = client.get("/healthz", headers={"Host": "10.0.3.17:8000"})
    assert probe.status_code == 200


def test_the_allowed_hosts_are_a_setting(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().trusted_hosts("127.0.0.1") == ("localhost", "127.0.0.1")
    assert Settings().trusted_hosts("192.168.0.10") == ("localhost", "127.0.0.1", "192.168.0.10")
    assert Settings(env="aws", api_keys=f"pos:{'a' * 64}").trusted_hosts("0.0.0.0") == ("*",)
    monkeypatch.setenv("SALESFLOW_ALLOWED_HOSTS", "sales.example.com, *.shop.example")
    configured = Settings(sink="memory", api_keys=settings.model_dump()["api_keys"])
    assert configured.trusted_hosts("0.0.0.0") == ("sales.example.com", "*.shop.example")
    with _served(configured, "0.0.0.0") as client:
        assert client.get("/readyz", headers={"Host": "sales.example.com"}).status_code == 200
        assert client.get("/readyz", headers={"Host": "eu.shop.example"}).status_code == 200
        assert client.get("/readyz", headers={"Host": "127.0.0.1"}).status_code == 400


@pytest.mark.parametrize("entry", ["sales.*.example", "http://sales.example", "*example", "a b"])
def test_a_malformed_allowed_host_is_refused_at_start(entry: str) -> None:
    with pytest.raises(ValidationError, match="SALESFLOW_ALLOWED_HOSTS entry"):
        Settings(allowed_hosts=entry)
