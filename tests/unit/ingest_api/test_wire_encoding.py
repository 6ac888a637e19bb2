"""What the API publishes is exactly `contract.wire`'s record, and any valid event fits a call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from contract import wire
from contract.event import MAX_ITEMS, IngestedSaleEvent, SaleEvent
from contract.money import MAX_UNIT_PRICE
from ingest_api.sinks.kinesis import PUT_RECORDS_LIMITS
from ingest_api.sinks.sqs import SEND_MESSAGE_BATCH_LIMITS

SQS_MESSAGE_BYTES = 256 * 1024
"""The largest SQS message body."""
KINESIS_RECORD_BYTES = 1024 * 1024
"""The largest Kinesis record, data and partition key together."""
INGESTED_AT = [
    datetime(2026, 11, 21, 16, 0, 0, 123456, tzinfo=UTC),
    datetime(2026, 11, 21, 13, 0, tzinfo=timezone(timedelta(hours=-3))),
]


@pytest.mark.parametrize("kind", ["sale", "return"])
@pytest.mark.parametrize("ingested_at", INGESTED_AT, ids=["utc", "offset"])
@pytest.mark.parametrize("customer_id", ["C-000042", None])
def test_encode_accepted_is_byte_for_byte_the_stamped_model(
    make_event, kind, ingested_at, customer_id
):
    event = SaleEvent.model_validate(
        make_event(kind, customer_id=customer_id, occurred_at="2026-11-20T10:00:00-03:00"),
        strict=False,
    )
    stamped = IngestedSaleEvent.accept(event, ingested_at=ingested_at, source="pos-sp")
    fast = wire.encode_accepted(event, ingested_at=ingested_at, source="pos-sp")
    assert fast == wire.encode(stamped)
    assert wire.decode(fast) == stamped


def test_the_largest_valid_event_fits_one_sqs_message_and_one_kinesis_record():
    longest = "X" * 64
    item: dict[str, Any] = {
        "sku": longest,
        "quantity": 10_000,
        "unit_price": str(MAX_UNIT_PRICE),
        "discount": str(MAX_UNIT_PRICE),
    }
    event = SaleEvent.model_validate(
        {
            "event_id": longest,
            "event_type": "sale",
            "occurred_at": "2026-11-20T10:00:00.123456-03:00",
            "channel": "ecommerce",
            "store_id": longest,
            "order_id": longest,
            "customer_id": longest,
            "currency": "BRL",
            "payment_method": "credit_card",
            "items": [item] * MAX_ITEMS,
        },
        strict=False,
    )
    data = wire.encode_accepted(event, ingested_at=INGESTED_AT[0], source=longest)
    assert len(data) <= SQS_MESSAGE_BYTES <= SEND_MESSAGE_BATCH_LIMITS.max_bytes
    assert len(data) + 64 <= KINESIS_RECORD_BYTES <= PUT_RECORDS_LIMITS.max_bytes
