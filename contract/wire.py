"""The stream record: how an accepted event travels through Kinesis and SQS.

A Kinesis record's data and an SQS message's body are the UTF-8 JSON of an `IngestedSaleEvent`
(money as decimal strings, `occurred_at` with the client's offset, `ingested_at` in UTC). The
Kinesis partition key is the `store_id`, so one store's events stay in order on one shard.
"""

from __future__ import annotations

from contract.event import IngestedSaleEvent

MAX_KINESIS_RECORD_BYTES = 1024 * 1024
MAX_SQS_MESSAGE_BYTES = 256 * 1024


def encode(event: IngestedSaleEvent) -> bytes:
    return event.model_dump_json().encode()


def decode(data: bytes | str) -> IngestedSaleEvent:
    """Parse and fully re-validate a stream record; raises `pydantic.ValidationError`."""
    return IngestedSaleEvent.model_validate_json(data)


def partition_key(event: IngestedSaleEvent) -> str:
    return event.store_id
