"""Segment SDK orders, one batch resent after a forced 503, counted once by the serving layer.

The stream's records (duplicates of the resent batch included) become bronze Parquet, and the
merged view on DuckDB, the real serving SQL, adds them up: every order once, to the cent.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from contract.aws import aws_client
from contract.settings import ApiKey, Settings, hash_api_key
from ingest_api.app import create_app
from ingest_api.sinks import KinesisSink
from serving.engines.duckdb_engine import DuckDBEngine
from tests.integration.ingest_api.fault_injection import FaultyKinesis
from tests.integration.ingest_api.helpers import create_stream, read_stream
from tests.integration.ingest_api.test_segment_sdks import record_statuses, sdk_client, send
from tests.processes import uvicorn_in_thread
from tests.unit.ingest_api.segment_messages import SOURCE, WRITE_KEY, segment_message
from tests.unit.serving.sample_lake import PRODUCTS, write_bronze, write_reference

STORE = "WEB-01"
TOTALS = (
    "SELECT CAST(sum(net_amount) AS varchar) AS net, count(DISTINCT event_id) AS events, "
    "count(*) AS lines FROM sales_merged"
)


@pytest.fixture
def serving_settings(moto_settings: Settings) -> Settings:
    return moto_settings.model_copy(
        update={"api_keys": [ApiKey(source=SOURCE, sha256=hash_api_key(WRITE_KEY))]}
    )


def test_a_resent_batch_is_counted_once_by_the_merged_view(serving_settings: Settings):
    create_stream(serving_settings)
    orders = [
        segment_message(
            store_id=STORE,
            currency="BRL",
            products=[
                {"sku": PRODUCTS[n % 3].sku, "price": "10.50", "quantity": 1 + n % 2},
                {"sku": PRODUCTS[(n + 1) % 3].sku, "price": "3.25", "quantity": 2},
            ],
            discount="1.00",
            revenue=None,
            subtotal=None,
            total=None,
        )
        for n in range(6)
    ]
    refund = segment_message(
        "order_refunded",
        store_id=STORE,
        currency="BRL",
        products=[{"sku": PRODUCTS[0].sku, "price": "10.50", "quantity": 1}],
    )
    messages = [*orders, refund]
    doomed = {message["messageId"] for message in messages[1::2]}
    statuses: list[int] = []
    faulty = FaultyKinesis(
        aws_client(serving_settings, "kinesis"),
        lambda event_id, _: event_id in doomed and 503 not in statuses,
    )
    sink = KinesisSink(  # one record per event: the fault rule fails events one by one
        faulty,
        serving_settings.stream_name,
        aggregate=False,
        compress=False,
        linger_seconds=0.005,
        budget_seconds=0.5,
    )
    app = create_app(serving_settings, sink)
    record_statuses(app, statuses)
    with (
        uvicorn_in_thread(app) as base_url,
        sdk_client("segment", base_url, gzip=True, batch_of=len(messages)) as (client, errors),
    ):
        for message in messages:
            send(client, message)
        client.flush()
    assert errors == []
    assert statuses == [503, 200]

    stored = [
        event
        for _, event in read_stream(
            aws_client(serving_settings, "kinesis"), serving_settings.stream_name
        )
    ]
    assert len(stored) == len(messages) + len(messages) - len(doomed)
    lake = Path(serving_settings.lake_uri)
    write_reference(lake)
    write_bronze(lake, stored)
    engine = DuckDBEngine(serving_settings)
    try:
        (row,) = engine.query(TOTALS).rows
    finally:
        engine.close()
    order_nets = [(Decimal("10.50") * (1 + n % 2) + Decimal("6.50") - 1) for n in range(6)]
    assert Decimal(row["net"]) == sum(order_nets) - Decimal("10.50")
    assert (row["events"], row["lines"]) == (len(messages), 2 * len(orders) + 1)
