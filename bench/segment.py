"""Segment-compatible endpoint benchmarks, each a ratio against a baseline from the same run.

1. `/v1/batch` orders/s (Segment `Order Completed` messages, 100 per request) against the native
   `/v1/sales/batch` events/s for the same orders: the cost of the Segment mapping and its amount
   checks on top of the contract validation both paths share.
2. `/v1/batch` with a gzip body against the same body plain: the cost of inflating.

Both run in one process against the same app (in-memory sink, emptied before every run so the
garbage collector's work does not grow) through httpx's ASGI transport, in rounds that rotate
which side goes first, so the client's cost and the machine's noise fall on both sides alike.
Run: `.venv/bin/python -m bench.segment` (about 1 minute).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from bench.harness import segment_order
from bench.results_file import figure, write_results
from contract.settings import Settings, hash_api_key
from ingest_api.app import create_app
from ingest_api.sinks import MemorySink

KEY = "bench-key"
BATCH_SIZE = 100
REQUESTS_PER_ROUND = 40
ROUNDS = 9
HEADERS = {
    "Authorization": "Basic " + base64.b64encode(f"{KEY}:".encode()).decode(),
    "X-API-Key": KEY,
    "Content-Type": "application/json",
}


def segment_orders(count: int) -> list[dict[str, Any]]:
    """Orders of 1 to 3 products with an order-level discount, as a web shop sends them."""
    orders = []
    for n in range(count):
        lines = [
            (f"SKU-{(n + i) % 50:03d}", 1990 + 100 * i, 1 + (n + i) % 3) for i in range(1 + n % 3)
        ]
        products = [
            {"sku": sku, "price": cents / 100, "quantity": quantity}
            for sku, cents, quantity in lines
        ]
        gross = sum(cents * quantity for _, cents, quantity in lines) / 100
        orders.append(
            segment_order(
                products=products,
                order_id=f"WEB-{n:06d}",
                store_id=f"WEB-{n % 4}",
                discount=1,
                subtotal=None,
                revenue=gross,
                shipping=None,
                tax=None,
                total=None,
                currency="BRL",
            )
        )
    return orders


def native_event(order: dict[str, Any]) -> dict[str, Any]:
    """The contract event the Segment mapping makes of `order`, for the native endpoint."""
    properties = order["properties"]
    products = properties["products"]
    discounts = ["1.00"] + ["0.00"] * (len(products) - 1)
    return {
        "event_id": "N" + order["messageId"].replace("-", ""),
        "event_type": "sale",
        "occurred_at": order["timestamp"],
        "channel": "ecommerce",
        "store_id": properties["store_id"],
        "order_id": properties["order_id"],
        "customer_id": order["userId"],
        "currency": "BRL",
        "payment_method": "other",
        "items": [
            {"sku": p["sku"], "quantity": p["quantity"], "unit_price": p["price"], "discount": d}
            for p, d in zip(products, discounts, strict=True)
        ],
    }


async def events_per_second(
    client: httpx.AsyncClient, path: str, bodies: list[bytes], headers: dict[str, str]
) -> float:
    started = time.perf_counter()
    for body in bodies:
        response = await client.post(path, content=body, headers=headers)
        if response.status_code not in (200, 202):
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:300]}")
    return len(bodies) * BATCH_SIZE / (time.perf_counter() - started)


async def measure() -> dict[str, list[float]]:
    settings = Settings(sink="memory", api_keys=f"bench:{hash_api_key(KEY)}")
    sink = MemorySink()
    app = create_app(settings, sink)
    orders = [segment_orders(BATCH_SIZE) for _ in range(REQUESTS_PER_ROUND)]
    segment_bodies = [orjson.dumps({"batch": batch}) for batch in orders]
    gzip_bodies = [gzip.compress(body, compresslevel=6) for body in segment_bodies]
    native_bodies = [orjson.dumps({"events": [native_event(o) for o in b]}) for b in orders]
    runs: dict[str, Callable[[httpx.AsyncClient], Any]] = {
        "native": lambda c: events_per_second(c, "/v1/sales/batch", native_bodies, HEADERS),
        "segment": lambda c: events_per_second(c, "/v1/batch", segment_bodies, HEADERS),
        "segment_gzip": lambda c: events_per_second(
            c, "/v1/batch", gzip_bodies, {**HEADERS, "Content-Encoding": "gzip"}
        ),
    }
    rates: dict[str, list[float]] = {name: [] for name in runs}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for warm_up in runs.values():
            await warm_up(client)
        names = list(runs)
        for round_number in range(ROUNDS):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                sink.records.clear()
                rates[name].append(await runs[name](client))
    return rates


def main() -> None:
    rates = {name: statistics.median(values) for name, values in asyncio.run(measure()).items()}
    write_results(
        "segment",
        [
            figure(
                "segment /v1/batch orders/s vs native batch",
                rates["segment"],
                "events/s",
                baseline=rates["native"],
                target=">= 0.5",
            ),
            figure(
                "segment /v1/batch gzip vs plain",
                rates["segment_gzip"],
                "events/s",
                baseline=rates["segment"],
                target=">= 0.8",
            ),
        ],
    )


if __name__ == "__main__":
    main()
