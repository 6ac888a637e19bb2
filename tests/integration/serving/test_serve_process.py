"""`salesflow serve` as a real uvicorn process over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from tests.integration.serving.conftest import TZ


def test_the_served_api_answers_over_http(serve_process: str) -> None:
    today = datetime.now(UTC).astimezone(ZoneInfo(TZ)).date()
    with httpx.Client(base_url=serve_process, timeout=30) as http:
        freshness = http.get("/v1/freshness").json()
        assert freshness["today"] == today.isoformat()
        assert freshness["last_batch"]["run_id"] == "run-live"
        assert 0 <= freshness["newest_event_age_seconds"] < 600

        params = {
            "from": (today - timedelta(days=7)).isoformat(),
            "to": (today + timedelta(days=1)).isoformat(),
            "group_by": "channel",
        }
        daily = http.get("/v1/metrics/sales", params=params)
        assert daily.status_code == 200
        assert {row["channel"] for row in daily.json()["rows"]} == {"pos", "ecommerce"}

        bad = http.get("/v1/metrics/sales", params={**params, "granularity": "fortnight"})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["query", "granularity"]

        page = http.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")


def test_the_served_api_answers_only_its_own_host_names(serve_process: str) -> None:
    """A page whose name its DNS points at 127.0.0.1 (rebinding) cannot read the dashboard's
    numbers through the user's browser: its Host is refused; /healthz answers any Host."""
    with httpx.Client(base_url=serve_process, timeout=30) as http:
        rebound = http.get("/v1/freshness", headers={"Host": "rebound.example"})
        page = http.get("/", headers={"Host": "rebound.example"})
        probe = http.get("/healthz", headers={"Host": "10.0.3.17:8080"})
        local = http.get("/v1/freshness")
    assert (rebound.status_code, page.status_code) == (400, 400)
    assert probe.status_code == 200
    assert local.status_code == 200


def test_the_served_api_keeps_its_internal_routes_from_forwarded_requests(
    serve_process: str,
) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    with httpx.Client(base_url=serve_process, timeout=30) as http:
        assert http.get("/openapi.json", headers=forwarded).status_code == 404
        assert http.get("/metrics", headers=forwarded).status_code == 404
        assert http.get("/v1/freshness", headers=forwarded).status_code == 200
        assert http.get("/openapi.json").status_code == 200
