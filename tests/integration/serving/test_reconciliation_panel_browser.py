"""The dashboard's till reconciliation panel in real headless Chromium: each store-day the API
reports is on the page with its status, gap and the ids to resend, the worst first."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract.lake_io import LakeFiles
from contract.reconciliation import ReconciliationReport, ReportStore
from contract.settings import Settings
from serving.app import create_app
from tests.integration.serving.chromium import chromium_page
from tests.processes import uvicorn_in_thread
from tests.unit.serving.sample_lake import ingested, write_bronze, write_reference

pytestmark = pytest.mark.browser

TZ = "America/Sao_Paulo"
PANEL = """JSON.stringify({
  summary: document.getElementById('reconciliation-summary').textContent,
  rows: [...document.querySelectorAll('#reconciliation-table tbody tr')]
    .map(r => [...r.cells].map(c => [c.textContent, c.className])),
})"""


def test_the_panel_shows_each_store_day_as_the_api_does(
    tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    lake = tmp_path / "lake"
    write_reference(lake)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    delivered = make_event(store_id="SP-PAULISTA-01", occurred_at=yesterday.isoformat())
    lost = make_event(store_id="SP-PAULISTA-01", occurred_at=yesterday.isoformat())
    web = make_event(store_id="WEB-01", channel="ecommerce", occurred_at=yesterday.isoformat())
    write_bronze(lake, [ingested(p, yesterday + timedelta(minutes=1)) for p in (delivered, web)])
    day = yesterday.astimezone(Settings(reporting_tz=TZ).reporting_zone).date()
    settings = Settings(
        lake_uri=str(lake), reporting_tz=TZ, reconciliation_check_seconds=0, serving_cache_seconds=0
    )
    report = {
        "store_id": "SP-PAULISTA-01",
        "business_date": day.isoformat(),
        "totals": {"sale": {"count": 2, "net_amount": "9319.40"}},
        "event_ids": [delivered["event_id"], lost["event_id"]],
    }
    ReportStore(LakeFiles.open(str(lake), settings)).save(
        ReconciliationReport.model_validate_json(json.dumps(report)),
        received_at=datetime.now(UTC),
        source="pos",
    )
    with uvicorn_in_thread(create_app(settings)) as url:
        page = httpx.get(f"{url}/").text
        assert "Till reconciliation" in page  # the panel's script, inlined
        api = httpx.get(f"{url}/v1/reconciliations").json()
        with chromium_page(tmp_path / "profile") as browser:
            browser.call("Page.enable")
            browser.call("Page.navigate", url=f"{url}/")
            browser.wait_for(
                "document.querySelectorAll('#reconciliation-table tbody tr').length >= 2"
            )
            shown = json.loads(browser.evaluate(PANEL))

    assert shown["summary"].startswith("0 matched, 1 with a gap, 1 not reported yet")
    gap, unreported = shown["rows"]
    assert [text for text, _ in gap[:3]] == [day.isoformat(), "SP-PAULISTA-01", "gap"]
    assert "rec-gap" in gap[2][1]
    assert gap[3][0] == "1"
    assert gap[5][0].replace("\u00a0", " ") in ("4,659.70", "4.659,70", "4 659,70")
    assert gap[6][0] == lost["event_id"]
    assert [text for text, _ in unreported[1:3]] == ["WEB-01", "not reported yet"]
    rows = {row["store_id"]: row for row in api["rows"]}
    assert rows["SP-PAULISTA-01"]["missing_event_ids"] == [lost["event_id"]]
    assert rows["SP-PAULISTA-01"]["net_gap"] == "4659.70"
