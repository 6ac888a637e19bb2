"""Helpers of the ingest API's integration tests: creating and reading the stream."""

from __future__ import annotations

from typing import Any

from contract import wire
from contract.aws import aws_client
from contract.event import IngestedSaleEvent
from contract.settings import Settings
from speed_layer.deaggregation import split_record


def create_stream(settings: Settings, shards: int = 2) -> Any:
    client = aws_client(settings, "kinesis")
    client.create_stream(StreamName=settings.stream_name, ShardCount=shards)
    client.get_waiter("stream_exists").wait(
        StreamName=settings.stream_name, WaiterConfig={"Delay": 0.1}
    )
    return client


def read_stream(client: Any, stream_name: str) -> list[tuple[str, IngestedSaleEvent]]:
    """Every event of every shard from the start, as (its partition key, the decoded event);
    aggregated records are split into their events."""
    found: list[tuple[str, IngestedSaleEvent]] = []
    for shard in client.list_shards(StreamName=stream_name)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=stream_name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = client.get_records(ShardIterator=iterator, Limit=1000)
            found += [
                (event.partition_key, wire.decode(event.data))
                for record in response["Records"]
                for event in split_record(record)
            ]
            if not response["Records"] or response.get("MillisBehindLatest", 0) == 0:
                break
            iterator = response.get("NextShardIterator")
    return found


def create_queue(settings: Settings) -> tuple[Any, str]:
    client = aws_client(settings, "sqs")
    return client, client.create_queue(QueueName=settings.queue_name)["QueueUrl"]


def drain_queue(client: Any, queue_url: str) -> list[IngestedSaleEvent]:
    """Receive and delete messages until the queue answers empty."""
    found: list[IngestedSaleEvent] = []
    while True:
        messages = client.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        if not messages:
            return found
        found += [wire.decode(m["Body"]) for m in messages]
        client.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
