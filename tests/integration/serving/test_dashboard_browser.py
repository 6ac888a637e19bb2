"""The dashboard in real headless Chromium against `salesflow serve`: every control changes the
numbers, every number equals the query API's answer to the same question, the URL reproduces
the view, tables download as CSV, the page works by keyboard and at phone width.

Numbers are read off the page as shown (pt-BR: `R$ 1.057.073,78`, `21,96%`) and turned back
into the API's decimal strings, so both the value and its formatting are checked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from tests.integration.serving.chromium import Page, chromium_page

pytestmark = pytest.mark.browser

KPIS = (
    "net_revenue",
    "gross_revenue",
    "discount",
    "margin",
    "margin_pct",
    "cost",
    "orders",
    "average_ticket",
    "units",
    "units_per_order",
    "returns",
    "return_rate",
)
MONEY_SHOWN = re.compile(r"-?R\$\u00a0\d{1,3}(\.\d{3})*,\d{2}")
"""Brazilian reais as pt-BR writes them: `R$ 1.057.073,78` (a no-break space after R$)."""
PAGE = """JSON.stringify({
  search: location.search.slice(1),
  state: document.body.dataset.state,
  granularity: document.body.dataset.granularity,
  locale: document.body.dataset.locale,
  error: document.getElementById('error').textContent,
  batch: document.getElementById('batch').textContent,
  freshness: document.getElementById('freshness').textContent,
  period: document.getElementById('period-label').textContent,
  kpis: Object.fromEntries([...document.querySelectorAll('.kpi')].map(k => [k.dataset.metric, {
    value: k.querySelector('.value').textContent,
    previous: (k.querySelector('.previous') || {}).textContent || null,
  }])),
  buckets: [...document.querySelectorAll('#series-chart circle[data-series=current]')]
    .map(c => c.dataset.bucket),
  comparisonLine: document.querySelectorAll('#series-chart polyline[data-series=comparison]')
    .length,
  tables: Object.fromEntries([...document.querySelectorAll('table[id^=table-]')].map(t => [
    t.id.slice(6),
    [...t.tBodies[0].rows].filter(r => !r.cells[0].classList.contains('empty'))
      .map(r => [...r.cells].map(c => c.textContent)),
  ])),
  chips: [...document.querySelectorAll('.chip')].map(c => c.dataset.dimension),
  customers: document.getElementById('customers').dataset.state,
  controls: ['preset', 'from', 'to', 'granularity', 'compare', 'rank']
    .map(id => document.getElementById(id).value),
})"""


PAGE_STATE = frozenset({"preset", "from", "to", "granularity", "compare", "rank"})
"""The dashboard's URL keys that are not dimension filters."""


def plain(shown: str) -> str | None:
    """A number as the page shows it in pt-BR, back to the API's plain decimal string."""
    if shown in {"\u2013", ""}:
        return None
    text = shown.replace("R$", "").replace("\u00a0", "").replace(" ", "")
    return text.removesuffix("%").replace(".", "").replace(",", ".")


def api_text(value: Any) -> str | None:
    return None if value is None else str(value)


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    with chromium_page(profile) as page:
        page.call("Page.enable")
        yield page


def open_dashboard(page: Page, url: str, width: int = 1280) -> dict[str, Any]:
    page.call(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=900,
        deviceScaleFactor=1,
        mobile=width < 600,
    )
    page.call("Page.navigate", url=url)
    return settled(page)


def settled(page: Page) -> dict[str, Any]:
    """The page once it has rendered the answers to the state its URL holds."""
    page.wait_for(
        "document.body && document.body.dataset.refreshedAt "
        "&& document.body.dataset.state === location.search.slice(1)"
    )
    numbers: dict[str, Any] = json.loads(page.evaluate(PAGE))
    assert numbers["error"] == ""
    return numbers


def change(page: Page, control: str, value: str) -> dict[str, Any]:
    """Set a control as a user would (value, then the change event) and wait for the page."""
    before = page.evaluate("location.search")
    page.evaluate(
        f"(() => {{ const c = document.getElementById({json.dumps(control)}); "
        f"c.value = {json.dumps(value)}; c.dispatchEvent(new Event('change')); }})()"
    )
    page.wait_for(f"location.search !== {json.dumps(before)}")
    return settled(page)


class Api:
    """The query API asked the page's questions, independently of the page's code."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        self.today = date.fromisoformat(self.http.get("/v1/display").json()["today"])

    def period(self, search: str) -> tuple[str, str]:
        """[from, to) of the page's URL state (presets relative to the reporting zone's today)."""
        state = dict(parse_qsl(search))
        today, month = self.today, self.today.replace(day=1)
        tomorrow = today + timedelta(days=1)
        last_month = (month - timedelta(days=1)).replace(day=1)
        ranges = {
            "today": (today, tomorrow),
            "yesterday": (today - timedelta(days=1), today),
            "last_7_days": (today - timedelta(days=6), tomorrow),
            "last_30_days": (today - timedelta(days=29), tomorrow),
            "this_month": (month, tomorrow),
            "last_month": (last_month, month),
            "this_year": (today.replace(month=1, day=1), tomorrow),
        }
        if "preset" in state:
            start, end = ranges[state["preset"]]
        else:
            start = date.fromisoformat(state["from"])
            end = date.fromisoformat(state["to"]) + timedelta(days=1)
        return start.isoformat(), end.isoformat()

    def params(self, search: str, *, compare: bool, **extra: str) -> list[tuple[str, str]]:
        """The API parameters of the page's state: its range and filters (and comparison)."""
        start, end = self.period(search)
        state = parse_qsl(search)
        filters = [(k, v) for k, v in state if k not in PAGE_STATE]
        chosen = dict(state).get("compare")
        asked = [("from", start), ("to", end), *filters, *extra.items()]
        return asked + ([("compare", chosen)] if compare and chosen else [])

    def get(self, path: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        response = self.http.get(path, params=tuple(params))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def sales(self, search: str, **extra: str) -> dict[str, Any]:
        return self.get("/v1/metrics/sales", self.params(search, compare=True, **extra))

    def products(self, search: str, **extra: str) -> dict[str, Any]:
        return self.get("/v1/metrics/top-products", self.params(search, compare=False, **extra))


@pytest.fixture
def api(history_serve: str) -> Iterator[Api]:
    client = Api(history_serve)
    yield client
    client.http.close()


def expected_granularity(api: Api, search: str) -> str:
    state = dict(parse_qsl(search))
    if "granularity" in state:
        return state["granularity"]
    start, end = (date.fromisoformat(d) for d in api.period(search))
    days = (end - start).days
    return "hour" if days <= 2 else "day" if days <= 62 else "week" if days <= 190 else "month"


def assert_page_equals_api(api: Api, numbers: dict[str, Any]) -> dict[str, Any]:
    """Every KPI (and its comparison), the chart's buckets, the category, region and product
    tables: as the API answers the question the page's URL asks."""
    search = numbers["search"]
    granularity = expected_granularity(api, search)
    assert numbers["granularity"] == granularity
    main = api.sales(search, granularity=granularity)
    for metric in KPIS:
        shown = numbers["kpis"][metric]
        assert plain(shown["value"]) == api_text(main["totals"][metric]), metric
        if main["comparison"]:
            previous = shown["previous"].removeprefix("before: ")
            assert plain(previous) == api_text(main["totals"]["comparison"][metric]), metric
        else:
            assert shown["previous"] is None
    assert MONEY_SHOWN.fullmatch(numbers["kpis"]["net_revenue"]["value"])
    assert numbers["buckets"] == [row["bucket"] for row in main["rows"]]
    assert numbers["comparisonLine"] == (1 if main["comparison"] else 0)

    category = api.sales(search, granularity="total", group_by="category")
    rows = sorted(category["rows"], key=lambda r: -Decimal(r["net_revenue"]))
    shown_rows = numbers["tables"]["category"]
    assert [r[0] for r in shown_rows] == [r["category"] for r in rows]
    assert [[plain(cell) for cell in r[1:5]] for r in shown_rows] == [
        [api_text(r[m]) for m in ("net_revenue", "cost", "margin", "margin_pct")] for r in rows
    ]
    region = api.sales(search, granularity="total", group_by="store_region,store_state")
    regions = sorted(region["rows"], key=lambda r: -Decimal(r["net_revenue"]))
    assert [[r[0], r[1], plain(r[2]), plain(r[3])] for r in numbers["tables"]["region"]] == [
        [r["store_region"], r["store_state"], r["net_revenue"], str(r["orders"])] for r in regions
    ]
    rank = dict(parse_qsl(search)).get("rank", "net_revenue")
    for table, slow in (("top", "false"), ("slow", "true")):
        answer = api.products(search, order_by=rank, limit="10", slow_movers=slow)
        assert [[r[0], plain(r[2]), plain(r[3])] for r in numbers["tables"][table]] == [
            [r["sku"], r["net_revenue"], str(r["units"])] for r in answer["rows"]
        ]
    return main


def test_every_control_changes_the_numbers_and_they_equal_the_apis(
    page: Page, api: Api, history_serve: str, tmp_path: Path
) -> None:
    first = open_dashboard(page, f"{history_serve}/?preset=last_30_days")
    assert first["locale"] == "pt-BR"
    assert first["period"].endswith(" · business days in America/Sao_Paulo")
    shown = {"last 30 days": assert_page_equals_api(api, first)["totals"]}

    year = change(page, "preset", "this_year")
    assert year["search"] == "preset=this_year"
    shown["this year"] = assert_page_equals_api(api, year)["totals"]

    weeks = change(page, "granularity", "week")
    assert weeks["search"] == "preset=this_year&granularity=week"
    assert_page_equals_api(api, weeks)
    assert all(date.fromisoformat(b).isoweekday() == 1 for b in weeks["buckets"][1:])
    assert len(weeks["buckets"]) != len(year["buckets"])

    compared = change(page, "compare", "previous_year")
    assert compared["search"] == "preset=this_year&granularity=week&compare=previous_year"
    assert_page_equals_api(api, compared)
    assert compared["kpis"]["net_revenue"]["previous"] is not None

    page.evaluate(
        "(() => { const d = document.getElementById('filter-dimension'); d.value = "
        "'store_region'; d.dispatchEvent(new Event('change')); })()"
    )
    page.wait_for(
        "[...document.getElementById('filter-values').options].some(o => o.value === 'Sul')"
    )
    page.evaluate(
        "(() => { const v = document.getElementById('filter-values'); "
        "[...v.options].forEach(o => { o.selected = ['Sul', 'Nordeste'].includes(o.value); });"
        " document.getElementById('filter-add').click(); })()"
    )
    page.wait_for("location.search.includes('store_region=')")
    filtered = settled(page)
    assert filtered["chips"] == ["store_region"]
    assert "store_region=Nordeste&store_region=Sul" in filtered["search"]
    shown["filtered"] = assert_page_equals_api(api, filtered)["totals"]
    assert {row[0] for row in filtered["tables"]["region"]} == {"Sul", "Nordeste"}

    ranked = change(page, "rank", "units")
    assert ranked["search"].endswith("rank=units&store_region=Nordeste&store_region=Sul")
    assert_page_equals_api(api, ranked)
    assert ranked["tables"]["top"] != filtered["tables"]["top"]

    start = (api.today - timedelta(days=40)).isoformat()
    custom = change(page, "from", start)
    assert custom["search"].startswith(f"from={start}&to={api.today.isoformat()}")
    assert custom["controls"][:3] == ["custom", start, api.today.isoformat()]
    shown["custom"] = assert_page_equals_api(api, custom)["totals"]

    net = {name: totals["net_revenue"] for name, totals in shown.items()}
    assert len(set(net.values())) == len(net), net

    reopened = open_dashboard(page, f"{history_serve}/?{custom['search']}")
    assert reopened["kpis"] == custom["kpis"]
    assert reopened["tables"] == custom["tables"]
    assert reopened["controls"] == custom["controls"]
    assert reopened["chips"] == ["store_region"]

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    page.call("Page.setDownloadBehavior", behavior="allow", downloadPath=str(downloads))
    page.evaluate("document.querySelector('[data-csv=category]').click()")
    csv_file = wait_for_file(downloads, "salesflow-category-*.csv")
    category = api.sales(reopened["search"], granularity="total", group_by="category")
    rows = sorted(category["rows"], key=lambda r: -Decimal(r["net_revenue"]))
    columns = ("category", "net_revenue", "cost", "margin", "margin_pct")
    header, *lines = csv_file.read_text().splitlines()
    assert header.split(",")[: len(columns)] == list(columns)
    assert [line.split(",")[: len(columns)] for line in lines] == [
        [api_text(r[c]) or "" for c in columns] for r in rows
    ]


def wait_for_file(folder: Path, pattern: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in folder.glob(pattern) if p.stat().st_size > 0]
        if found:
            return found[0]
        time.sleep(0.2)
    raise TimeoutError(f"no {pattern} downloaded into {folder}")


def test_keyboard_phone_width_contrast_and_screenshots(
    page: Page, api: Api, history_serve: str, tmp_path: Path
) -> None:
    url = f"{history_serve}/?preset=last_30_days&compare=previous_period"
    desktop = open_dashboard(page, url)
    assert_page_equals_api(api, desktop)
    screenshots = {"dashboard.png": page.screenshot(tmp_path / "dashboard.png")}

    reached = tab_through(page, presses=60)
    for control in ("preset", "from", "to", "granularity", "compare", "filter-dimension", "rank"):
        assert control in reached, reached
    assert sum(1 for name in reached if name.startswith("csv:")) >= 8, reached

    assert page.evaluate(CONTRAST_FAILURES) == []

    phone = open_dashboard(page, url, width=390)
    assert phone["kpis"] == desktop["kpis"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    columns = page.evaluate(
        "getComputedStyle(document.getElementById('kpis')).gridTemplateColumns.split(' ').length"
    )
    assert columns == 2
    screenshots["dashboard-phone.png"] = page.screenshot(
        tmp_path / "dashboard-phone.png", full_page=False
    )
    for shot in screenshots.values():
        assert shot.read_bytes().startswith(b"\x89PNG")
        assert shot.stat().st_size > 20_000
    if target := os.environ.get("DASHBOARD_SCREENSHOTS_DIR"):
        for name, shot in screenshots.items():
            shutil.copyfile(shot, Path(target) / name)


def tab_through(page: Page, presses: int) -> list[str]:
    """What Tab reaches, in order: control ids, and `csv:<table>` for download buttons."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    reached = []
    for _ in range(presses):
        for kind in ("keyDown", "keyUp"):
            page.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Tab",
                code="Tab",
                windowsVirtualKeyCode=9,
            )
        reached.append(
            page.evaluate(
                "(e => e.dataset.csv ? 'csv:' + e.dataset.csv : e.id || e.tagName)"
                "(document.activeElement)"
            )
        )
    return reached


CONTRAST_FAILURES = (Path(__file__).parent / "contrast.js").read_text()
"""WCAG AA contrast failures of the visible text, as `tag.class: ratio`."""


def test_todays_numbers_come_from_both_layers_and_equal_the_api(
    page: Page, serve_process: str
) -> None:
    numbers = open_dashboard(page, f"{serve_process}/")
    assert numbers["search"] == "preset=today"
    api = Api(serve_process)
    try:
        today = api.sales("preset=today", granularity="hour")
    finally:
        api.http.close()
    assert plain(numbers["kpis"]["net_revenue"]["value"]) == today["totals"]["net_revenue"]
    assert plain(numbers["kpis"]["orders"]["value"]) == str(today["totals"]["orders"])
    assert numbers["buckets"] == [row["bucket"] for row in today["rows"]]
    assert "run-live" in numbers["batch"]
    assert "newest event landed" in numbers["freshness"]
    assert numbers["customers"] in {"unavailable", "available"}


def test_before_any_batch_run_the_page_says_so_and_shows_no_epoch(
    page: Page, unbatched_serve: str
) -> None:
    numbers = open_dashboard(page, f"{unbatched_serve}/")
    assert numbers["batch"] == "no batch run yet"
    text = page.evaluate("document.body.innerText")
    assert "1970" not in text
    assert "1969" not in text
    assert plain(numbers["kpis"]["orders"]["value"]) != "0"


CUSTOMERS = {
    "customers": 1204,
    "segments": [
        {
            "segment": "Champions",
            "meaning": "bought lately, buy often, spend the most",
            "recency": [4, 5],
            "frequency": [4, 5],
            "monetary": [4, 5],
            "customers": 301,
            "share": 0.25,
            "orders": 2210,
            "net_revenue": "1057073.78",
            "average_ticket": "478.31",
        }
    ],
    "rfm_quintiles": [],
    "cohorts": [
        {
            "cohort_month": "2026-10",
            "months_since_first": 1,
            "customers": 120,
            "active_customers": 30,
            "retention_rate": 0.25,
        }
    ],
    "months": [{"month": "2026-11", "new_customers": 80, "returning_customers": 300}],
    "as_of_date": "2026-11-21",
    "boundary": "2026-11-21T03:00:00+00:00",
    "run_id": "run-live",
    "as_of": "2026-11-21T12:00:00+00:00",
}
"""A `GET /v1/metrics/customers` answer in the Customer 360 shape (serving/customer_models.py)."""


@pytest.mark.parametrize("status", [200, 404])
def test_the_customers_panel_shows_its_tables_or_says_it_is_not_available_yet(
    page: Page, serve_process: str, status: int
) -> None:
    """The page's own fetch answers the customers endpoint, so both states are shown whatever
    this server has: a 404 (a server without Customer 360) must not break the page."""
    answer = json.dumps(CUSTOMERS if status == 200 else {"detail": "Not Found"})
    page.call(
        "Page.addScriptToEvaluateOnNewDocument",
        source=(
            "const realFetch = window.fetch; window.fetch = (path, options) => "
            "String(path).startsWith('/v1/metrics/customers') ? Promise.resolve(new Response("
            f"{json.dumps(answer)}, {{status: {status}, headers: {{'Content-Type': "
            "'application/json'}})) : realFetch(path, options);"
        ),
    )
    numbers = open_dashboard(page, f"{serve_process}/")
    if status == 404:
        assert numbers["customers"] == "unavailable"
        assert "not available yet" in page.evaluate(
            "document.getElementById('customers').innerText"
        )
        return
    assert numbers["customers"] == "available"
    segments = numbers["tables"]["customers-segments"]
    assert segments == [
        [
            "Champions",
            "301",
            "25,00%",
            "2.210",
            "R$\u00a01.057.073,78",
            "R$\u00a0478,31",
            "bought lately, buy often, spend the most",
        ]
    ]
    assert numbers["tables"]["customers-months"] == [["2026-11", "80", "300"]]
    assert numbers["tables"]["customers-cohorts"] == [["2026-10", "1", "120", "30", "25,00%"]]
    assert "customers-rfm_quintiles" not in numbers["tables"]
    assert page.evaluate("document.querySelectorAll('#customers [data-csv]').length") == 3
