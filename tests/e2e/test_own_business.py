"""`salesflow up --no-demo-data` with a shop's own catalog and sales, as a new adopter would.

The stack starts empty and says what is missing; the shop loads its own products and stores
(a semicolon CSV with a BOM and decimal commas), posts its sales over HTTP (one of a product
launched before the catalog knew it), and the merged numbers per day, store and category equal
an independent computation from what was posted, before and after a batch run; a second key's
copy of an id already used counts as a sale of its own when its content differs, and not when
it is the same. Loading the new
product and running the batch again fills in its category.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from contract.settings import hash_api_key
from tests.e2e.stack import Stack, get_json, running_up, salesflow

pytestmark = [pytest.mark.timeout(1200), pytest.mark.spark]

PRODUCTS_CSV = (
    "\ufeffsku;name;category;brand;unit_cost;list_price\n"
    "PAR-6MM;Parafuso 6mm (100 un);Fixação;Ciser;12,40;24,90\n"
    "TIN-18L;Tinta acrílica 18L;Tintas;Suvinil;1.180,00;1.599,00\n"
)
STORES_CSV = (
    "store_id;name;channel;currency;city;state;region\n"
    "POA-CENTRO;Centro;pos;BRL;Porto Alegre;RS;South\n"
    "WEB;Loja online;ecommerce;BRL;;;\n"
)
SHOP_ZONE = timezone(timedelta(hours=-3))
"""The stack's reporting zone, America/Sao_Paulo, which keeps -03:00 all year."""
LAUNCH = "FUR-650W"
"""A drill sold from the day it launched, before the catalog file had it."""

DAY_ONE = (datetime.now(SHOP_ZONE) - timedelta(days=16)).date()
"""The shop's first day of sales, a fortnight back whenever the test runs: fixed dates would one
day be older than the API takes (SALESFLOW_MAX_EVENT_AGE_DAYS, 400 days)."""
DAY_TWO = DAY_ONE + timedelta(days=1)
SALES = [
    ("POA-CENTRO", "pos", f"{DAY_ONE}T10:15:00-03:00", [("PAR-6MM", 3, "24.90")]),
    ("POA-CENTRO", "pos", f"{DAY_ONE}T16:40:00-03:00", [("TIN-18L", 1, "1599.00"),
                                                        ("PAR-6MM", 1, "24.90")]),
    ("WEB", "ecommerce", f"{DAY_TWO}T09:05:00-03:00", [("TIN-18L", 2, "1549.00")]),
    ("WEB", "ecommerce", f"{DAY_TWO}T11:30:00-03:00", [(LAUNCH, 1, "449.90")]),
]  # fmt: skip


OTHER_KEY = f"sk-{uuid.uuid4().hex}"
OTHER_SOURCE = "store-b-till"
"""A second client of the shop, which sends an id the first already used (ADR 0021)."""


def _post(stack: Stack, event: dict[str, Any], key: str) -> None:
    request = urllib.request.Request(
        f"{stack.ingest_url}/v1/sales",
        data=json.dumps(event).encode(),
        headers={"X-API-Key": key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202


def _post_sales(stack: Stack) -> list[dict[str, Any]]:
    events = []
    for number, (store, channel, occurred_at, lines) in enumerate(SALES, start=1):
        event = {
            "event_id": f"EV{uuid.uuid4().hex.upper()}",
            "event_type": "sale",
            "occurred_at": occurred_at,
            "channel": channel,
            "store_id": store,
            "order_id": f"ORD-{number}",
            "currency": "BRL",
            "payment_method": "pix",
            "items": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines],
        }
        _post(stack, event, stack.key)
        events.append(event)
    return events


def _post_copies_from_another_key(stack: Stack, events: list[dict[str, Any]]) -> dict[str, Any]:
    """The first sale's id with other content (a sale of its own) and the third sale as it was
    (a duplicate); returns the one that counts."""
    conflicting = {**events[0], "items": [{"sku": "PAR-6MM", "quantity": 7, "unit_price": "24.90"}]}
    _post(stack, conflicting, OTHER_KEY)
    _post(stack, events[2], OTHER_KEY)
    return conflicting


Figures = dict[tuple[str, str], Decimal]
"""Net revenue per (day, store) and per (day, category)."""


def _expected(events: list[dict[str, Any]], category_of: dict[str, str]) -> Figures:
    """From the posted events alone: net revenue per (day, store) and per (day, category)."""
    totals: Figures = defaultdict(lambda: Decimal("0.00"))
    for event in events:
        day = event["occurred_at"][:10]
        for item in event["items"]:
            amount = item["quantity"] * Decimal(item["unit_price"])
            totals[(day, event["store_id"])] += amount
            totals[(day, category_of.get(item["sku"], "(unknown)"))] += amount
    return dict(totals)


def _served(stack: Stack) -> tuple[Figures, str | None]:
    """The same figures from the query API, and the batch run it served."""
    totals: Figures = {}
    run_id = None
    for dimension in ("store_id", "category"):
        answer = get_json(
            f"{stack.serve_url}/v1/metrics/sales?from={DAY_ONE}&to={DAY_TWO + timedelta(days=1)}"
            f"&granularity=day&group_by={dimension}"
        )
        run_id = answer["run_id"]
        for row in answer["rows"]:
            totals[(row["bucket"], row[dimension])] = Decimal(row["net_revenue"])
    return totals, run_id


def _wait_until_served_equals(
    stack: Stack, expected: Figures, new_run_after: str | None = "", timeout: float = 180
) -> str | None:
    """Poll until the API serves `expected` (and, unless `new_run_after` is "", a run other
    than `new_run_after`)."""
    deadline = time.monotonic() + timeout
    while True:
        served, run_id = _served(stack)
        if served == expected and (new_run_after == "" or run_id not in (None, new_run_after)):
            return run_id
        assert time.monotonic() < deadline, f"served {served} (run {run_id}), expected {expected}"
        time.sleep(1)


def _freshness_of_run(stack: Stack, run_id: str | None, timeout: float = 90) -> dict[str, Any]:
    """`/v1/freshness` once it reports `run_id` (its answer is cached apart from the metrics')."""
    deadline = time.monotonic() + timeout
    while True:
        freshness = get_json(f"{stack.serve_url}/v1/freshness")
        if (freshness["last_batch"] or {}).get("run_id") == run_id:
            return freshness
        assert time.monotonic() < deadline, f"freshness still reports {freshness['last_batch']}"
        time.sleep(1)


def _realtime_conflicts(stack: Stack, timeout: float = 60) -> int:
    """`/v1/freshness`'s count of real-time conflict sales, once it reports any (its answer is
    cached apart from the metrics')."""
    deadline = time.monotonic() + timeout
    while True:
        reference = get_json(f"{stack.serve_url}/v1/freshness")["reference"]
        count = int(reference["realtime_quality_counts"]["event_id_conflicts"])
        if count or time.monotonic() > deadline:
            return count
        time.sleep(1)


def _salesflow_ok(stack: Stack, *args: str) -> str:
    result = subprocess.run(
        salesflow(*args), env=stack.env, capture_output=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    return result.stdout.decode()


def test_up_without_demo_data_serves_a_shops_own_numbers_across_batch_runs(tmp_path: Path):
    products, stores = tmp_path / "produtos.csv", tmp_path / "lojas.csv"
    products.write_text(PRODUCTS_CSV, encoding="utf-8")
    stores.write_text(STORES_CSV, encoding="utf-8")
    other_key = {"SALESFLOW_API_KEYS": f"{OTHER_SOURCE}:{hash_api_key(OTHER_KEY)}"}
    with running_up(tmp_path, "--no-demo-data", env=other_key) as stack:
        freshness = get_json(f"{stack.serve_url}/v1/freshness")
        assert (
            "no products loaded: salesflow reference load products FILE"
            in (freshness["reference"]["missing"])
        )
        assert not (stack.state / "lake" / "bronze").exists()

        for table, path in (("products", products), ("stores", stores)):
            _salesflow_ok(stack, "reference", "load", table, str(path), "--decimal-separator", ",")
        events = _post_sales(stack)
        events.append(_post_copies_from_another_key(stack, events))
        categories = {"PAR-6MM": "Fixação", "TIN-18L": "Tintas"}
        expected = _expected(events, categories)
        assert expected[(str(DAY_TWO), "(unknown)")] == Decimal("449.90")
        first_run = _wait_until_served_equals(stack, expected)
        assert first_run is None
        assert _realtime_conflicts(stack) == 1

        _salesflow_ok(stack, "batch", "run", "--cutoff", "now")
        second_run = _wait_until_served_equals(stack, expected, new_run_after=first_run)
        batch = _freshness_of_run(stack, second_run)["last_batch"]
        assert batch["quality_counts"]["event_id_conflicts"] == 1

        launch = tmp_path / "launch.csv"
        launch.write_text(f"sku,name,category\n{LAUNCH},Furadeira 650W,Ferramentas\n")
        _salesflow_ok(stack, "reference", "load", "products", str(launch))
        _salesflow_ok(stack, "batch", "run", "--cutoff", "now")
        filled = _expected(events, {**categories, LAUNCH: "Ferramentas"})
        third_run = _wait_until_served_equals(stack, filled, new_run_after=second_run)
        freshness = _freshness_of_run(stack, third_run)
        assert freshness["last_batch"]["quality_counts"]["unknown_sku"] == 0
        assert freshness["reference"]["missing"] == [
            "no customers loaded: salesflow reference load customers FILE"
        ]
