"""The stream record: how an accepted event travels through Kinesis and SQS.

A Kinesis record's data and an SQS message's body are the UTF-8 JSON of an `IngestedSaleEvent`
(money as decimal strings, `occurred_at` with the client's offset, `ingested_at` in UTC). The
Kinesis partition key is the `store_id`, so one store's events stay in order on one shard.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from pydantic import AwareDatetime, TypeAdapter

from contract.event import IngestedSaleEvent, SaleEvent
from contract.pydantic_fast import dump_json, extend_json_object, validate_json

_TIMESTAMP = TypeAdapter(AwareDatetime)
_STRING = TypeAdapter(str)


def encode(event: IngestedSaleEvent) -> bytes:
    """Absent optional fields are left out, not sent as null: a v1 event's record carries only
    its v1 fields, and no record pays for the fields it does not use."""
    return event.model_dump_json(exclude_none=True).encode()


def encode_accepted(event: SaleEvent, *, ingested_at: datetime, source: str) -> bytes:
    """The same bytes as `encode(IngestedSaleEvent.accept(event, ...))`, without building the
    stamped model: the server's two fields are appended to the event's own JSON, on the path of
    every event the ingest API accepts (`contract.pydantic_fast`)."""
    return extend_json_object(dump_json(event, exclude_none=True), _stamp(ingested_at, source))


@lru_cache(maxsize=64)
def _stamp(ingested_at: datetime, source: str) -> bytes:
    """`,"ingested_at":...,"source":...`: the same for every event of a request, so cached."""
    timestamp = _TIMESTAMP.dump_json(ingested_at.astimezone(UTC))
    return b',"ingested_at":' + timestamp + b',"source":' + _STRING.dump_json(source)


def decode(data: bytes | str) -> IngestedSaleEvent:
    """Parse and fully re-validate a stream record; raises `pydantic.ValidationError`. The speed
    layer decodes every record, so this takes the direct path of `contract.pydantic_fast`."""
    return validate_json(IngestedSaleEvent, data)


def partition_key(event: SaleEvent) -> str:
    return event.store_id
