"""Resharding in the emulator as Kinesis does it, so a consumer can drain parents before children.

moto 5's SplitShard moves the parent's records into the children under new sequence numbers and
keeps routing new records to the (closed) parent, whose hash range still matches first; and its
GetRecords never ends a closed shard: it hands out a next iterator forever and never names the
child shards. A consumer that follows Kinesis's rules (read a parent to its end, then its
children) therefore never reaches SHARD_END. Kinesis itself keeps a split parent's records where
they are, closes it to writes, routes new records to the open shard whose hash range holds the
key, and answers a GetRecords past a closed shard's last record with no `NextShardIterator` and
the `ChildShards`. `install()` gives the emulator's Kinesis backend exactly these three rules
(docs/adr/0019); nothing else about moto's Kinesis changes.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.kinesis.exceptions import InvalidArgumentError
from moto.kinesis.models import Shard, Stream
from moto.kinesis.responses import KinesisResponse
from moto.kinesis.utils import decompose_shard_iterator
from moto.utilities.utils import md5_hash

HASH_KEYS = 2**128


def install() -> None:
    Stream.split_shard = _split_shard  # type: ignore[method-assign]
    Stream.get_shard_for_key = _open_shard_for_key  # type: ignore[method-assign]
    KinesisResponse.get_records = _get_records  # type: ignore[method-assign]


def _split_shard(self: Stream, shard_to_split: str, new_starting_hash_key: str) -> None:
    parent = self.get_shard(shard_to_split)
    start = int(new_starting_hash_key)
    if not parent.is_open:
        raise InvalidArgumentError(
            f"Shard {shard_to_split} in stream {self.stream_name} has already been merged or "
            "split, and thus is not eligible for merging or splitting."
        )
    if not parent.starting_hash < start <= parent.ending_hash:
        raise InvalidArgumentError(
            f"NewStartingHashKey {start} is not within the hash range of {shard_to_split}"
        )
    last_id = max(shard._shard_id for shard in self.shards.values())
    ranges = ((parent.starting_hash, start - 1), (start, parent.ending_hash))
    for offset, (low, high) in enumerate(ranges, start=1):
        child = Shard(last_id + offset, starting_hash=low, ending_hash=high, parent=parent.shard_id)
        self.shards[child.shard_id] = child
    parent.is_open = False


def _open_shard_for_key(self: Stream, partition_key: str, explicit_hash_key: str) -> Shard | None:
    if explicit_hash_key:
        key = int(explicit_hash_key)
        if not 0 <= key < HASH_KEYS:
            raise InvalidArgumentError("explicit_hash_key")
    else:
        if not isinstance(partition_key, str) or len(partition_key) > 256:
            raise InvalidArgumentError("partition_key")
        key = int(md5_hash(partition_key.encode("utf-8")).hexdigest(), 16)
    return next(
        (
            shard
            for shard in self.shards.values()
            if shard.is_open and shard.starting_hash <= key <= shard.ending_hash
        ),
        None,
    )


def _get_records(self: KinesisResponse) -> ActionResult:
    stream_arn = self._get_param("StreamARN")
    next_iterator, records, millis_behind_latest = self.kinesis_backend.get_records(
        stream_arn, self._get_param("ShardIterator"), self._get_param("Limit")
    )
    stream_name, shard_id, position = decompose_shard_iterator(next_iterator)
    stream = self.kinesis_backend.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    shard = stream.get_shard(shard_id)
    body: dict[str, Any] = {
        "Records": [record.to_json() for record in records],
        "MillisBehindLatest": millis_behind_latest,
    }
    if shard.is_open or int(position) < shard.get_max_sequence_number():
        body["NextShardIterator"] = next_iterator
    else:
        body["ChildShards"] = [
            {
                "ShardId": child.shard_id,
                "ParentShards": [p for p in (child.parent, child.adjacent_parent) if p],
                "HashKeyRange": child.to_json()["HashKeyRange"],
            }
            for child in stream.shards.values()
            if shard.shard_id in (child.parent, child.adjacent_parent)
        ]
    return ActionResult(body)
