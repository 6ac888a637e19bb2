"""The local AWS emulator keeps every record that concurrent PutRecords calls acknowledged."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from contract.aws import aws_client


def test_concurrent_put_records_lose_nothing(moto_settings):
    kinesis = aws_client(moto_settings, "kinesis", max_pool_connections=32)
    stream = moto_settings.stream_name
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream)

    def put_batches(_: int) -> list[str]:
        sent = []
        for _ in range(25):
            records = [uuid.uuid4().hex for _ in range(5)]
            response = kinesis.put_records(
                StreamName=stream,
                Records=[{"Data": r.encode(), "PartitionKey": "store"} for r in records],
            )
            assert response["FailedRecordCount"] == 0
            sent.extend(records)
        return sent

    with ThreadPoolExecutor(max_workers=16) as pool:
        acknowledged = {record for batch in pool.map(put_batches, range(16)) for record in batch}

    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    read: list[str] = []
    while True:
        page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
        if not page["Records"]:
            break
        read.extend(record["Data"].decode() for record in page["Records"])
        iterator = page["NextShardIterator"]
    assert len(read) == len(acknowledged) == 16 * 25 * 5
    assert set(read) == acknowledged
