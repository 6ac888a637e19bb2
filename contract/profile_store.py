"""The DynamoDB store of customer profiles: items keyed by (customer_id, run_id), one marker item
per fully loaded run, and readers that trust a run's items only once its marker exists (ADR 0013).

The batch layer writes (`batch_layer.profile_load`, after a run is published) and the serving
layer reads (`serving.customers`); both go through this one module, so the item format has one
definition. Items carry the `customer_profiles` gold row (`contract.customers`) as it is in the
run folder: timestamps and dates as ISO 8601 strings, money and counts as DynamoDB numbers, the
per-channel and per-category maps as maps, NULLs left out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

import pyarrow as pa
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from contract.aws import aws_client
from contract.customers import CUSTOMER_PROFILES_SCHEMA
from contract.errors import ProfileStoreError
from contract.money import CENT
from contract.settings import Settings

logger = logging.getLogger(__name__)

PARTITION_KEY = "customer_id"
SORT_KEY = "run_id"
EXPIRY_ATTRIBUTE = "expires_at"
"""DynamoDB TTL attribute: epoch seconds after which the item may be deleted (and is ignored)."""
RUN_MARKER = "#run"
"""The partition key of the run markers; no customer id has a `#` (contract.event.Identifier)."""
PROFILE_RETENTION = timedelta(days=8)
MARKER_RETENTION = PROFILE_RETENTION - timedelta(days=1)
"""A marker expires before its run's profiles, so it never vouches for items TTL may have taken."""
BATCH_ITEMS = 25
"""BatchWriteItem's limit."""
WRITERS = 8
"""Concurrent BatchWriteItem calls of a load: the round trip, not DynamoDB, is the bottleneck."""
UNPROCESSED_ATTEMPTS = 8
"""Rounds of re-sending what BatchWriteItem left unprocessed (throttling) before giving up."""

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class LoadedRun:
    """A run whose every profile is in the table (its marker exists and has not expired)."""

    run_id: str
    profiles: int
    loaded_at: datetime
    expires_at: datetime


class ProfileStore:
    """One profile table through one boto3 client (thread-safe, shared by the load's writers)."""

    def __init__(self, settings: Settings) -> None:
        self.table = settings.customer_profiles_table
        self._client = aws_client(settings, "dynamodb", max_pool_connections=WRITERS)

    def close(self) -> None:
        self._client.close()

    def put_profiles(
        self, run_id: str, profiles: Iterable[Mapping[str, Any]], expires_at: datetime
    ) -> int:
        """Write `profiles` (rows of `customer_profiles`) as items of `run_id`; returns how many.

        Whole-item puts of the run's own data: writing a profile twice writes the same item
        (with a later expiry)."""
        batches = _batches(encode_profile(row, run_id, expires_at) for row in profiles)
        written = 0
        with ThreadPoolExecutor(WRITERS, thread_name_prefix="profile-writer") as pool:
            while window := list(islice(batches, WRITERS * 4)):
                written += sum(pool.map(self._write_batch, window))
        return written

    def mark_loaded(self, run_id: str, profiles: int, loaded_at: datetime) -> LoadedRun:
        """Written after the run's last profile: from now on readers use the run's items."""
        expires_at = (loaded_at + MARKER_RETENTION).replace(microsecond=0)
        marker = LoadedRun(run_id, profiles, loaded_at, expires_at)
        item = {
            PARTITION_KEY: RUN_MARKER,
            SORT_KEY: run_id,
            "profiles": profiles,
            "loaded_at": loaded_at.astimezone(UTC).isoformat(),
            EXPIRY_ATTRIBUTE: int(marker.expires_at.timestamp()),
        }
        self._call("put_item", TableName=self.table, Item=_serialized(item))
        return marker

    def loaded_run(self, run_id: str, now: datetime) -> LoadedRun | None:
        """The run's marker, or None when its load has not finished (or it expired by `now`)."""
        item = self._get(RUN_MARKER, run_id)
        if item is None or _expired(item, now):
            return None
        return LoadedRun(
            run_id=run_id,
            profiles=int(item["profiles"]),
            loaded_at=datetime.fromisoformat(item["loaded_at"]),
            expires_at=datetime.fromtimestamp(int(item[EXPIRY_ATTRIBUTE]), UTC),
        )

    def profile(self, customer_id: str, run_id: str) -> dict[str, Any] | None:
        """The customer's profile in a loaded run, typed as the gold row; None when the run has
        no such customer. Strongly consistent, so a marker just read vouches for the item."""
        item = self._get(customer_id, run_id)
        return None if item is None else decode_profile(item)

    def forget(self, customer_id: str) -> int:
        """Delete every item of `customer_id`, whatever its run (personal data erasure): the
        profiles are derived from gold, which the erasure pseudonymises; returns how many."""
        keys: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :customer",
            "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
            "ExpressionAttributeValues": {":customer": {"S": customer_id}},
            "ProjectionExpression": "#pk, #sk",
            "ConsistentRead": True,
        }
        request["ExpressionAttributeNames"]["#sk"] = SORT_KEY
        while True:
            page = self._call("query", **request)
            keys += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        for start in range(0, len(keys), BATCH_ITEMS):
            pending = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + BATCH_ITEMS]]
            for _ in range(UNPROCESSED_ATTEMPTS):
                response = self._call("batch_write_item", RequestItems={self.table: pending})
                pending = response.get("UnprocessedItems", {}).get(self.table, [])
                if not pending:
                    break
            else:
                raise ProfileStoreError(
                    f"DynamoDB kept items of a forgotten customer in {self.table}"
                )
        return len(keys)

    def _get(self, customer_id: str, run_id: str) -> dict[str, Any] | None:
        key = {PARTITION_KEY: customer_id, SORT_KEY: run_id}
        response = self._call(
            "get_item", TableName=self.table, Key=_serialized(key), ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else {k: _deserializer.deserialize(v) for k, v in item.items()}

    def _write_batch(self, items: list[dict[str, Any]]) -> int:
        pending: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in items]
        for attempt in range(UNPROCESSED_ATTEMPTS):
            response = self._call("batch_write_item", RequestItems={self.table: pending})
            pending = response.get("UnprocessedItems", {}).get(self.table, [])
            if not pending:
                return len(items)
            time.sleep(min(2.0, 0.05 * 2**attempt))
        raise ProfileStoreError(
            f"DynamoDB left {len(pending)} profile(s) of {self.table} unwritten after "
            f"{UNPROCESSED_ATTEMPTS} attempts (throttled); load the run again"
        )

    def _call(self, operation: str, **parameters: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self._client, operation)(**parameters)
        except (BotoCoreError, ClientError) as error:
            raise ProfileStoreError(
                f"DynamoDB {operation} on {self.table} failed: {error}"
            ) from error
        return response


def encode_profile(row: Mapping[str, Any], run_id: str, expires_at: datetime) -> dict[str, Any]:
    """A `customer_profiles` row (as pyarrow's `to_pylist` gives it) as a low-level item."""
    item: dict[str, Any] = {
        SORT_KEY: run_id,
        EXPIRY_ATTRIBUTE: int(expires_at.timestamp()),
    }
    for field in CUSTOMER_PROFILES_SCHEMA:
        value = row.get(field.name)
        if value is None:
            continue
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        elif isinstance(value, date):
            value = value.isoformat()
        elif pa.types.is_map(field.type):
            value = dict(value)
        item[field.name] = value
    return _serialized(item)


def decode_profile(item: Mapping[str, Any]) -> dict[str, Any]:
    """A deserialized item back to the gold row's Python types (NULL where left out)."""
    row: dict[str, Any] = {}
    for field in CUSTOMER_PROFILES_SCHEMA:
        value = item.get(field.name)
        row[field.name] = None if value is None else _typed(field.type, value)
    return row


def _typed(data_type: pa.DataType, value: Any) -> Any:
    if pa.types.is_timestamp(data_type):
        return datetime.fromisoformat(value)
    if pa.types.is_date(data_type):
        return date.fromisoformat(value)
    if pa.types.is_integer(data_type):
        return int(value)
    if pa.types.is_decimal(data_type):
        return Decimal(value).quantize(CENT)
    if pa.types.is_map(data_type):
        return {key: _typed(data_type.item_type, amount) for key, amount in value.items()}
    return value


def _serialized(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in item.items()}


def _expired(item: Mapping[str, Any], now: datetime) -> bool:
    return int(item[EXPIRY_ATTRIBUTE]) <= now.timestamp()


def _batches(items: Iterable[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH_ITEMS)):
        yield batch
