"""The operational routes answer 404 to a request a proxy forwarded, however its path is
encoded (the load balancer's path rules compare the path as sent, the server routes it decoded),
and answer as before from inside the network, or through a proxy trusted with them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from contract.internal_routes import InternalRoutes
from contract.settings import Settings
from ingest_api.app import create_app
from ingest_api.sinks import MemorySink

FORWARDED = {"X-Forwarded-For": "198.51.100.7"}


def _served(settings: Settings) -> TestClient:
    app = InternalRoutes(
        create_app(settings, MemorySink()), proxied_allowed=settings.proxied_internal_routes
    )
    return TestClient(app)


@pytest.mark.parametrize(
    "path", ["/metrics", "/%6Detrics", "/readyz", "/docs", "/docs/oauth2-redirect", "/openapi.json"]
)
def test_a_forwarded_request_for_an_internal_route_gets_404(settings: Settings, path: str) -> None:
    with _served(settings) as client:
        forwarded = client.get(path, headers=FORWARDED)
        rfc_7239 = client.get(path, headers={"Forwarded": "for=198.51.100.7"})
    assert (forwarded.status_code, rfc_7239.status_code) == (404, 404)
    assert forwarded.json()["error"] == "not_found"


def test_inside_the_network_and_for_other_routes_nothing_changes(settings: Settings) -> None:
    with _served(settings) as client:
        assert client.get("/metrics").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/healthz", headers=FORWARDED).status_code == 200
        sale = client.post("/v1/sales", json={}, headers=FORWARDED)
        assert sale.status_code == 401, "the event routes answer as ever"


def test_a_trusted_proxy_may_be_allowed_the_internal_routes(settings: Settings) -> None:
    trusting = settings.model_copy(update={"proxied_internal_routes": True})
    with _served(trusting) as client:
        assert client.get("/metrics", headers=FORWARDED).status_code == 200
    assert Settings().proxied_internal_routes is False
