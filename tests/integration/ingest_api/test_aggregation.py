"""KPL aggregation through a real uvicorn into moto Kinesis: events travel packed, come back with
their own partition keys, and a PutRecords that fails some aggregated records (the fault proxy
in front of the moto server) retries exactly those records' events, each request answered only
once every one of its events is in the stream (ADR 0009). With compression on, every record
goes gzip-compressed and the same holds."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

import httpx
import pytest
from aws_kinesis_agg import MAGIC, messages_pb2

from contract import wire
from contract.settings import Settings
from contract.stream_compression import decompress, is_compressed
from ingest_api.app import create_app
from ingest_api.sinks.kinesis_aggregation import TARGET_RECORD_BYTES, hash_key
from speed_layer.deaggregation import split_record
from tests.e2e.fault_proxy import fault_proxy
from tests.integration.ingest_api.conftest import API_KEY
from tests.integration.ingest_api.helpers import create_stream, read_stream
from tests.processes import uvicorn_in_thread


def _raw_records(kinesis: Any, stream: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every record as GetRecords returns it, with the shard that holds it."""
    found = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        found += [(shard, r) for r in kinesis.get_records(ShardIterator=iterator)["Records"]]
    return found


async def _send(
    base_url: str, batches: list[list[dict[str, Any]]], singles: list[dict[str, Any]]
) -> list[tuple[list[str], int, float]]:
    """POST everything at once; per request, its event ids, status and when its answer came."""

    async def post(path: str, body: Any, ids: list[str]) -> tuple[list[str], int, float]:
        response = await client.post(path, json=body)
        return ids, response.status_code, time.monotonic()

    async with httpx.AsyncClient(
        base_url=base_url, headers={"X-API-Key": API_KEY}, timeout=60
    ) as client:
        return await asyncio.gather(
            *(post("/v1/sales/batch", {"events": b}, [e["event_id"] for e in b]) for b in batches),
            *(post("/v1/sales", e, [e["event_id"]]) for e in singles),
        )


def test_events_travel_packed_into_the_shard_of_their_hash_key_with_their_own_keys(
    api_settings: Settings, event
):
    api_settings = api_settings.model_copy(update={"kinesis_compression": False})
    kinesis = create_stream(api_settings, shards=3)
    batches = [[event(store_id=f"S-{n % 9}") for n in range(150)] for _ in range(2)]
    singles = [event(store_id=f"S-{n % 4}") for n in range(10)]
    with uvicorn_in_thread(create_app(api_settings)) as base_url:
        answers = asyncio.run(_send(base_url, batches, singles))
    assert {status for _, status, _ in answers} == {202}

    raw = _raw_records(kinesis, api_settings.stream_name)
    aggregated = [(shard, r) for shard, r in raw if r["Data"].startswith(MAGIC)]
    assert len(raw) < 310, "the batches' events went packed"
    assert len(aggregated) >= 4
    for shard, record in aggregated:
        assert len(record["Data"]) <= TARGET_RECORD_BYTES
        table = messages_pb2.AggregatedRecord()
        table.ParseFromString(record["Data"][len(MAGIC) : -16])
        # one explicit hash key for every sub-record, inside the shard that holds the aggregate:
        # the KCL drops an aggregated record one of whose sub-records hashes elsewhere
        assert list(table.explicit_hash_key_table) == [hash_key(record["PartitionKey"])]
        hashes = shard["HashKeyRange"]
        assert int(hashes["StartingHashKey"]) <= int(table.explicit_hash_key_table[0])
        assert int(table.explicit_hash_key_table[0]) <= int(hashes["EndingHashKey"])
        assert len(table.partition_key_table) > 1, "sub-records keep their own keys"

    events = read_stream(kinesis, api_settings.stream_name)
    assert all(key == stored.store_id for key, stored in events)
    sent = [e["event_id"] for batch in batches for e in batch] + [e["event_id"] for e in singles]
    assert sorted(stored.event_id for _, stored in events) == sorted(sent)


def test_with_aggregation_off_every_event_is_a_record_of_its_own(api_settings: Settings, event):
    settings = api_settings.model_copy(
        update={"kinesis_aggregation": False, "kinesis_compression": False}
    )
    kinesis = create_stream(settings, shards=1)
    batch = [event() for _ in range(40)]
    with uvicorn_in_thread(create_app(settings)) as base_url:
        (answer,) = asyncio.run(_send(base_url, [batch], []))
    assert answer[1] == 202
    raw = _raw_records(kinesis, settings.stream_name)
    assert sorted(wire.decode(r["Data"]).event_id for _, r in raw) == sorted(answer[0])


def test_with_compression_every_record_goes_gzipped_and_carries_its_events(
    api_settings: Settings, event
):
    settings = api_settings.model_copy(update={"kinesis_compression": True})
    kinesis = create_stream(settings, shards=2)
    batches = [[event(store_id=f"S-{n % 9}") for n in range(150)] for _ in range(2)]
    singles = [event(store_id=f"S-{n % 4}") for n in range(10)]
    with uvicorn_in_thread(create_app(settings)) as base_url:
        answers = asyncio.run(_send(base_url, batches, singles))
    assert {status for _, status, _ in answers} == {202}

    raw = [record["Data"] for _, record in _raw_records(kinesis, settings.stream_name)]
    assert all(is_compressed(data) for data in raw), "single events and aggregates alike"
    inflated = [decompress(data) for data in raw]
    assert sum(1 for data in inflated if data.startswith(MAGIC)) >= 4
    assert all(len(data) <= TARGET_RECORD_BYTES for data in inflated)
    assert sum(map(len, raw)) < sum(map(len, inflated)) / 3

    events = read_stream(kinesis, settings.stream_name)
    assert all(key == stored.store_id for key, stored in events)
    sent = [e["event_id"] for batch in batches for e in batch] + [e["event_id"] for e in singles]
    assert sorted(stored.event_id for _, stored in events) == sorted(sent)


@pytest.mark.parametrize("compression", [False, True], ids=["plain", "compressed"])
def test_a_failed_aggregated_record_retries_exactly_its_events_and_no_request_is_answered_early(
    api_settings: Settings, event, compression: bool
):
    with fault_proxy(api_settings.aws_endpoint_url or "") as (proxy, faults):
        settings = api_settings.model_copy(
            update={"aws_endpoint_url": proxy, "kinesis_compression": compression}
        )
        kinesis = create_stream(settings, shards=2)
        faults.log_entries = True
        faults.record_failure_fraction = 0.4
        batches = [[event(store_id=f"S-{n % 7}") for n in range(120)] for _ in range(4)]
        singles = [event(store_id=f"S-{n % 5}") for n in range(30)]
        with uvicorn_in_thread(create_app(settings)) as base_url:
            answers = asyncio.run(_send(base_url, batches, singles))
        faults.clear()
        stored = read_stream(kinesis, settings.stream_name)

    assert {status for _, status, _ in answers} == {202}
    assert {is_compressed(entry.data) for entry in faults.answered} == {compression}
    failed_entries = [entry for entry in faults.answered if entry.failed]
    assert any(len(split_record(_as_got(entry.data))) > 1 for entry in failed_entries), (
        "an aggregated record failed whole"
    )
    attempts: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    for entry in faults.answered:
        for sub in split_record(_as_got(entry.data)):
            attempts[wire.decode(sub.data).event_id].append((entry.failed, entry.answered_at))
    for event_id, tries in attempts.items():
        *before, (last_failed, _) = tries
        # sent again exactly as long as the aggregated record carrying it failed
        assert not last_failed, (event_id, tries)
        assert all(failed for failed, _ in before), (event_id, tries)
    retried = {event_id for event_id, tries in attempts.items() if len(tries) > 1}
    in_failed = {
        wire.decode(sub.data).event_id
        for entry in failed_entries
        for sub in split_record(_as_got(entry.data))
    }
    assert retried == in_failed

    written_at = {event_id: tries[-1][1] for event_id, tries in attempts.items()}
    for event_ids, _, answered_at in answers:
        assert all(written_at[event_id] <= answered_at for event_id in event_ids)
    assert sorted(s.event_id for _, s in stored) == sorted(attempts), "each event once"


def _as_got(data: bytes) -> dict[str, Any]:
    """An entry the proxy forwarded, shaped as GetRecords returns records."""
    return {"Data": data, "PartitionKey": "", "SequenceNumber": "0"}
