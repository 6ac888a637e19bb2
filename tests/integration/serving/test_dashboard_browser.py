"""The dashboard in real headless Chromium: it renders, and its numbers are the API's."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.serving.chromium import chromium_page

PAGE_NUMBERS = """JSON.stringify({
  net: document.getElementById('kpi-net-revenue').textContent,
  orders: document.getElementById('kpi-orders').textContent,
  returns: document.getElementById('kpi-returns').textContent,
  stores: [...document.querySelectorAll('#by-store_id tr')].slice(1)
    .map(tr => [...tr.cells].map(td => td.textContent)),
  top: [...document.querySelectorAll('#top-products tr')].slice(1)
    .map(tr => [...tr.cells].map(td => td.textContent)),
  minuteBars: document.querySelectorAll('#per-minute rect').length,
  lines: document.querySelectorAll('#vs-last-week polyline').length,
  freshness: document.getElementById('freshness').textContent,
  batch: document.getElementById('batch').textContent,
  error: document.getElementById('error').textContent,
})"""


def shown(amount: str) -> str:
    """Money as the page shows it: thousands separators, two decimals."""
    return f"{Decimal(amount):,.2f}"


@pytest.mark.browser
def test_dashboard_shows_the_apis_numbers(serve_process: str, tmp_path: Path) -> None:
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    with chromium_page(profile) as page:
        page.call("Page.enable")
        page.call("Page.navigate", url=f"{serve_process}/")
        page.wait_for("document.body && document.body.dataset.refreshedAt")
        numbers = json.loads(page.evaluate(PAGE_NUMBERS))
        screenshot = page.screenshot(tmp_path / "dashboard.png")

    assert screenshot.read_bytes().startswith(b"\x89PNG")
    assert screenshot.stat().st_size > 10_000
    assert numbers["error"] == ""

    with httpx.Client(base_url=serve_process, timeout=30) as http:
        today = date.fromisoformat(http.get("/v1/freshness").json()["today"])
        period = {"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}
        day_rows = http.get("/v1/metrics/sales", params=period).json()["rows"]
        stores = http.get("/v1/metrics/sales", params={**period, "group_by": "store_id"}).json()
        top = http.get("/v1/metrics/top-products", params=period).json()["rows"]
        minutes = http.get("/v1/metrics/sales", params={**period, "granularity": "minute"}).json()[
            "rows"
        ]

    nothing_yet: dict[str, Any] = {"net_revenue": "0.00", "orders": 0, "returns": 0}
    total = day_rows[0] if day_rows else nothing_yet
    assert numbers["net"] == shown(total["net_revenue"])
    assert numbers["orders"] == str(total["orders"])
    assert numbers["returns"] == str(total["returns"])
    assert numbers["stores"] == [
        [r["store_id"], shown(r["net_revenue"]), str(r["orders"]), str(r["units"])]
        for r in stores["rows"]
    ]
    assert numbers["top"] == [
        [r["sku"], r["product_name"], shown(r["net_revenue"]), str(r["units"])] for r in top
    ]
    assert numbers["minuteBars"] == len(minutes)
    assert numbers["lines"] == 2
    assert "run-live" in numbers["batch"]
    assert "newest event landed" in numbers["freshness"]
