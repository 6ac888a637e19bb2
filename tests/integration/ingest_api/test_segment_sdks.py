"""The real Segment and RudderStack SDKs against a real uvicorn server writing to moto Kinesis.

Each SDK is pointed at the server by its host setting only, exactly as a shop would switch. What
lands in the stream is read back over the Kinesis API and decoded as contract events.
"""

from __future__ import annotations

import gzip
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from rudderstack.analytics.client import Client as RudderClient
from segment.analytics import Client as SegmentClient

from contract.aws import aws_client
from contract.event import IngestedSaleEvent
from contract.settings import ApiKey, Settings, hash_api_key
from ingest_api.app import create_app
from ingest_api.sinks import KinesisSink
from tests.integration.ingest_api.fault_injection import FaultyKinesis
from tests.integration.ingest_api.helpers import create_stream, read_stream
from tests.processes import uvicorn_in_thread
from tests.unit.ingest_api.segment_messages import SOURCE, WRITE_KEY, segment_message

SDKS = ["segment", "rudderstack"]
ErrorLog = list[tuple[Exception, list[Any]]]


@pytest.fixture
def segment_settings(moto_settings: Settings) -> Settings:
    return moto_settings.model_copy(
        update={"api_keys": [ApiKey(source=SOURCE, sha256=hash_api_key(WRITE_KEY))]}
    )


@contextmanager
def sdk_client(
    sdk: str, base_url: str, *, gzip: bool, write_key: str = WRITE_KEY, batch_of: int = 0
) -> Iterator[tuple[Any, ErrorLog]]:
    """An SDK client sending to `base_url`; its upload errors; shut down at the end.

    `batch_of=n` makes the SDK send the first n messages as one request (an upload waits for n
    messages or 2 s), so what a request holds does not depend on the machine's speed. The
    wait also delays the shutdown by up to 2 s: the SDK's thread finishes its current wait.
    """
    errors: ErrorLog = []
    options: dict[str, Any] = {
        "host": base_url,
        "gzip": gzip,
        "upload_interval": 2 if batch_of else 0.1,
        "upload_size": batch_of or 100,
        "max_retries": 3,
        "on_error": lambda error, batch: errors.append((error, batch)),
    }
    client = (
        SegmentClient(write_key, **options)
        if sdk == "segment"
        else RudderClient(write_key, **options)
    )
    try:
        yield client, errors
    finally:
        client.shutdown()


def send(client: Any, message: dict[str, Any]) -> None:
    """`track` the way a shop's code calls it, from a sample message."""
    client.track(
        user_id=message.get("userId"),
        event=message["event"],
        properties=message["properties"],
        timestamp=datetime.fromisoformat(message["timestamp"]),
        message_id=message["messageId"],
    )


def stored_events(settings: Settings) -> list[IngestedSaleEvent]:
    kinesis = aws_client(settings, "kinesis")
    return [event for _, event in read_stream(kinesis, settings.stream_name)]


def signed_net(event: IngestedSaleEvent) -> Decimal:
    return event.net_amount * event.sign


@pytest.mark.parametrize("sdk", SDKS)
@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_orders_sent_by_the_sdk_land_in_the_stream_as_contract_events(
    segment_settings: Settings, sdk: str, compressed: bool
):
    create_stream(segment_settings)
    sale = segment_message(store_id="SP-PAULISTA-01")
    refund = segment_message("order_refunded", channel="pos")
    with (
        uvicorn_in_thread(create_app(segment_settings)) as base_url,
        sdk_client(sdk, base_url, gzip=compressed) as (client, errors),
    ):
        send(client, sale)
        client.identify(user_id="019mr8mf4r", traits={"plan": "gold"})
        send(client, refund)
        client.flush()
    assert errors == []
    by_id = {event.event_id: event for event in stored_events(segment_settings)}
    assert set(by_id) == {sale["messageId"], refund["messageId"]}
    stored_sale, stored_refund = by_id[sale["messageId"]], by_id[refund["messageId"]]
    assert (stored_sale.store_id, stored_sale.channel.value) == ("SP-PAULISTA-01", "ecommerce")
    assert (stored_refund.store_id, stored_refund.channel.value) == (SOURCE, "pos")
    assert [(i.sku, i.quantity, i.unit_price, i.discount) for i in stored_sale.items] == [
        ("45790-32", 1, Decimal("19.00"), Decimal("1.90")),
        ("46493-32", 2, Decimal("3.00"), Decimal("0.60")),
    ]
    assert (signed_net(stored_sale), signed_net(stored_refund)) == (Decimal("22.50"), Decimal(-3))
    assert stored_sale.occurred_at == datetime.fromisoformat(sale["timestamp"])
    assert {stored_sale.source, stored_refund.source} == {SOURCE}


@pytest.mark.parametrize("sdk", SDKS)
def test_the_sdks_resend_after_a_forced_503_and_nothing_is_counted_twice(
    segment_settings: Settings, sdk: str
):
    """Half the orders are written before the stream fails the rest: the 503's resend carries
    the same messageIds, so every copy in the stream has its order's event_id and amounts."""
    create_stream(segment_settings)
    orders = [
        segment_message(
            products=[{"sku": f"SKU-{n}", "price": 10 + n, "quantity": 1 + n % 3}],
            discount=None,
            revenue=None,
            subtotal=None,
            total=None,
        )
        for n in range(6)
    ]
    doomed = {order["messageId"] for order in orders[::2]}
    statuses: list[int] = []

    def fail(event_id: str, times_sent: int) -> bool:
        return event_id in doomed and 503 not in statuses

    faulty = FaultyKinesis(aws_client(segment_settings, "kinesis"), fail)
    sink = KinesisSink(  # one record per event: the fault rule fails events one by one
        faulty,
        segment_settings.stream_name,
        aggregate=False,
        compress=False,
        linger_seconds=0.005,
        budget_seconds=0.5,
    )
    app = create_app(segment_settings, sink)
    record_statuses(app, statuses)
    with (
        uvicorn_in_thread(app) as base_url,
        sdk_client(sdk, base_url, gzip=True, batch_of=len(orders)) as (client, errors),
    ):
        for order in orders:
            send(client, order)
        client.flush()
    assert errors == []
    assert statuses[0] == 503
    assert statuses[-1] == 200
    copies: dict[str, set[Decimal]] = defaultdict(set)
    stored = stored_events(segment_settings)
    for event in stored:
        copies[event.event_id].add(signed_net(event))
    assert set(copies) == {order["messageId"] for order in orders}
    assert len(stored) > len(orders), "the resend re-wrote the orders acknowledged before the 503"
    assert all(len(amounts) == 1 for amounts in copies.values())
    distinct_total = sum(amounts.pop() for amounts in copies.values())
    assert distinct_total == sum((10 + n) * (1 + n % 3) for n in range(6))


def test_segment_sdk_logs_why_an_order_is_refused(
    segment_settings: Settings, caplog: pytest.LogCaptureFixture
):
    create_stream(segment_settings)
    no_products = segment_message(products=[])
    negative = segment_message(
        products=[{"sku": "A", "price": -5}],
        discount=None,
        revenue=None,
        subtotal=None,
        total=None,
    )
    with (
        caplog.at_level(logging.ERROR, logger="segment"),
        uvicorn_in_thread(create_app(segment_settings)) as base_url,
        sdk_client("segment", base_url, gzip=True, batch_of=2) as (client, errors),
    ):
        send(client, no_products)
        send(client, negative)
        client.flush()
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "segment")
    assert "invalid_messages" in logged
    assert "(400)" in logged
    assert "properties.products: an Order Completed needs at least one product" in logged
    assert "properties.products[0].price: money must be >= 0" in logged
    assert len(errors) == 1
    assert stored_events(segment_settings) == []


def test_rudderstack_sdk_logs_oversized_messages_and_batches_and_a_wrong_key(
    segment_settings: Settings, caplog: pytest.LogCaptureFixture
):
    create_stream(segment_settings)
    with (
        caplog.at_level(logging.ERROR, logger="rudderstack"),
        uvicorn_in_thread(create_app(segment_settings)) as base_url,
    ):
        with sdk_client("rudderstack", base_url, gzip=True) as (client, _):
            send(client, segment_message(note="x" * 40_000))
            client.flush()
        with sdk_client("rudderstack", base_url, gzip=True, batch_of=20) as (client, _):
            for _ in range(20):
                send(client, segment_message(note="x" * 30_000))
            client.flush()
        with sdk_client("rudderstack", base_url, gzip=False, write_key="not-our-key") as (
            client,
            _,
        ):
            send(client, segment_message())
            client.flush()
    logged = [r.getMessage() for r in caplog.records if r.name == "rudderstack"]
    assert any("message_too_large" in m and "at most 32 KB per message" in m for m in logged)
    assert any("payload_too_large" in m and "(413)" in m for m in logged)
    assert any("unauthorized" in m and "(401)" in m for m in logged)
    assert stored_events(segment_settings) == []


def test_raw_http_answers_non_json_with_400_and_success_with_exactly_200(
    segment_settings: Settings,
):
    create_stream(segment_settings)
    auth = (WRITE_KEY, "")
    with uvicorn_in_thread(create_app(segment_settings)) as base_url:
        not_json = httpx.post(f"{base_url}/v1/batch", content=b"<xml/>", auth=auth)
        body = json.dumps({"batch": [segment_message()], "sentAt": _now()}).encode()
        ok = httpx.post(
            f"{base_url}/v1/batch",
            content=gzip.compress(body),
            auth=auth,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        track = httpx.post(
            f"{base_url}/v1/track",
            json={**segment_message(), "writeKey": WRITE_KEY, "messageId": str(uuid.uuid4())},
        )
    assert (not_json.status_code, not_json.json()["code"]) == (400, "malformed_json")
    assert (ok.status_code, ok.json()["success"]) == (200, True)
    assert track.status_code == 200
    assert len(stored_events(segment_settings)) == 2


def record_statuses(app: FastAPI, statuses: list[int]) -> None:
    @app.middleware("http")
    async def record(request: Request, call_next: Callable[[Request], Any]) -> Response:
        response: Response = await call_next(request)
        if request.url.path == "/v1/batch":
            statuses.append(response.status_code)
        return response


def _now() -> str:
    return (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
