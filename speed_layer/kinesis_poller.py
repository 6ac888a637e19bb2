"""The local Kinesis poller: the embedded stack's stand-in for Lambda's event source mapping.

For every shard it reads with GetShardIterator/GetRecords, buffers up to `batch_size` records or
the batching window, lands the batch with `land()`, and only then checkpoints. A batch that
fails to land is retried as the very same batch (same key, so no duplicate file) with backoff;
after `max_attempts` its failed records go to the dead-letter queue and the shard moves on, so
one bad batch never blocks a shard. Checkpoints are write-ahead (see `checkpoints`), so a crash
between the file and the checkpoint replays exactly the same batch.

Aggregated records are split into their events as they are read (`deaggregation`); a batch holds
whole stream records, and its size counts stream records as Lambda's batch size does, so the
checkpoints and the replay stay on Kinesis sequence numbers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from contract.lake_io import WRITE_ERRORS, LakeFiles
from speed_layer.batching import AWS_ERRORS, ERROR_PAUSE_SECONDS, BatchingPolicy
from speed_layer.checkpoints import CheckpointFile
from speed_layer.dead_letters import DeadLetterQueue
from speed_layer.deaggregation import split_record
from speed_layer.landing import land
from speed_layer.records import Batch, DeliveredRecord, kinesis_batch_key

logger = logging.getLogger(__name__)

SHARD_REFRESH_SECONDS = 30.0


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    replay_until: str | None
    """Set after a crash: the pending batch ends at this sequence number, read no further."""
    sequences: list[str] = field(default_factory=list)
    """The stream records buffered, by sequence number (what checkpoints and replays name)."""
    records: list[DeliveredRecord] = field(default_factory=list)
    """The events they carry, in order."""
    positions: list[str] = field(default_factory=list)
    """Each event's position (`records.kinesis_position`), for the batch key."""
    first_buffered_at: float = 0.0
    attempts: int = 0
    held: bool = False
    """A checkpoint write failed: the batch is frozen as it is until it lands and commits."""
    retry_at: float = 0.0

    def ready(self, policy: BatchingPolicy, now: float) -> bool:
        if not self.records or now < self.retry_at:
            return False
        replay_complete = self.replay_until is not None and self.sequences[-1] == self.replay_until
        return (
            len(self.sequences) >= policy.batch_size
            or now - self.first_buffered_at >= policy.window_seconds
            or replay_complete
            or self.iterator is None
        )

    def wants_records(self, policy: BatchingPolicy) -> bool:
        """A batch is frozen once a landing failed or its replay is complete: a retry must reuse
        the same records, hence the same key, or the hours that did land would land twice."""
        replay_complete = (
            self.replay_until is not None
            and bool(self.sequences)
            and (self.sequences[-1] == self.replay_until)
        )
        return (
            self.iterator is not None
            and len(self.sequences) < policy.batch_size
            and self.attempts == 0
            and not self.held
            and not replay_complete
        )


class KinesisPoller:
    def __init__(
        self,
        *,
        kinesis_client: Any,
        stream_name: str,
        lake: LakeFiles,
        checkpoints: CheckpointFile,
        dead_letters: DeadLetterQueue,
        policy: BatchingPolicy,
        stop: threading.Event,
    ) -> None:
        self._kinesis = kinesis_client
        self._stream = stream_name
        self._lake = lake
        self._checkpoints = checkpoints
        self._dead_letters = dead_letters
        self._policy = policy
        self._stop = stop
        self._shards: dict[str, _Shard] = {}
        self._shards_listed_at = 0.0

    def run(self) -> None:
        """Poll until the stop event is set, then land what is buffered and return."""
        logger.info("polling Kinesis stream %s", self._stream)
        while not self._stop.is_set():
            try:
                received = self._cycle()
            except AWS_ERRORS:
                logger.exception("AWS call failed; retrying in %s s", ERROR_PAUSE_SECONDS)
                self._stop.wait(ERROR_PAUSE_SECONDS)
                continue
            if not received:
                self._stop.wait(self._policy.idle_poll_seconds)
        for shard in self._shards.values():
            if shard.records:
                self._flush(shard)
        logger.info("stopped polling Kinesis stream %s", self._stream)

    def _cycle(self) -> int:
        """Poll every shard once and land the batches that are due; the records received."""
        self._refresh_shards()
        received = sum(self._poll(shard) for shard in list(self._shards.values()))
        now = time.monotonic()
        for shard in self._shards.values():
            if shard.ready(self._policy, now):
                self._flush(shard)
        return received

    def _refresh_shards(self) -> None:
        now = time.monotonic()
        if self._shards and now - self._shards_listed_at < SHARD_REFRESH_SECONDS:
            return
        self._shards_listed_at = now
        paginator = self._kinesis.get_paginator("list_shards")
        for page in paginator.paginate(StreamName=self._stream):
            for description in page["Shards"]:
                shard_id = description["ShardId"]
                if shard_id not in self._shards:
                    self._shards[shard_id] = self._open(shard_id)

    def _open(self, shard_id: str) -> _Shard:
        checkpoint = self._checkpoints.get(shard_id)
        logger.info("opening shard %s after %s", shard_id, checkpoint.landed or "the trim horizon")
        return _Shard(
            shard_id, self._iterator(shard_id, checkpoint.landed), checkpoint.pending_last
        )

    def _iterator(self, shard_id: str, after: str | None) -> str:
        position: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after}
            if after
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        response = self._kinesis.get_shard_iterator(
            StreamName=self._stream, ShardId=shard_id, **position
        )
        iterator: str = response["ShardIterator"]
        return iterator

    def _poll(self, shard: _Shard) -> int:
        if not shard.wants_records(self._policy) or shard.iterator is None:
            return 0
        try:
            response = self._kinesis.get_records(
                ShardIterator=shard.iterator,
                Limit=self._policy.batch_size - len(shard.sequences),
            )
        except self._kinesis.exceptions.ExpiredIteratorException:
            resume_after = shard.sequences[-1] if shard.sequences else None
            shard.iterator = self._iterator(
                shard.shard_id, resume_after or self._checkpoints.get(shard.shard_id).landed
            )
            return 0
        shard.iterator = response.get("NextShardIterator")
        taken = 0
        for record in response["Records"]:
            sequence = record["SequenceNumber"]
            if shard.replay_until is not None and int(sequence) > int(shard.replay_until):
                break
            if not shard.sequences:
                shard.first_buffered_at = time.monotonic()
            shard.sequences.append(sequence)
            for event in split_record(record):
                shard.records.append(
                    DeliveredRecord(event.data, f"{shard.shard_id}:{event.position}")
                )
                shard.positions.append(event.position)
            taken += 1
        if taken < len(response["Records"]):
            shard.iterator = self._iterator(shard.shard_id, shard.sequences[-1])
        return taken

    def _flush(self, shard: _Shard) -> None:
        first, last = shard.positions[0], shard.positions[-1]
        batch = Batch(kinesis_batch_key(shard.shard_id, first, last), tuple(shard.records))
        if not self._checkpointed(shard, batch, self._checkpoints.begin):
            return
        report = land(batch, self._lake)
        if report.ok:
            if self._checkpointed(shard, batch, self._checkpoints.commit):
                self._reset(shard)
            return
        shard.attempts += 1
        if shard.attempts < self._policy.max_attempts:
            shard.retry_at = time.monotonic() + self._policy.backoff_seconds(shard.attempts)
            logger.warning(
                "batch %s: %s records failed to land (attempt %s of %s); retrying",
                batch.key,
                len(report.failed),
                shard.attempts,
                self._policy.max_attempts,
            )
            return
        self._dead_letters.send(
            [batch.records[position] for position in report.failed],
            reason=f"could not write to the lake {self._lake.location.uri} "
            f"after {shard.attempts} attempts",
            attempts=shard.attempts,
        )
        if self._checkpointed(shard, batch, self._checkpoints.commit):
            self._reset(shard)

    def _checkpointed(
        self, shard: _Shard, batch: Batch, record: Callable[[str, str], None]
    ) -> bool:
        """Record `batch`'s checkpoint step, or hold the batch when the state file cannot be
        written (a full disk): the same batch is tried again after a pause, and its records are
        never dead-lettered for it, since the lake may hold them already."""
        try:
            record(shard.shard_id, shard.sequences[-1])
        except WRITE_ERRORS:
            logger.exception(
                "batch %s: could not write the checkpoint file; retrying in %s s",
                batch.key,
                ERROR_PAUSE_SECONDS,
            )
            shard.held = True
            shard.retry_at = time.monotonic() + ERROR_PAUSE_SECONDS
            return False
        return True

    @staticmethod
    def _reset(shard: _Shard) -> None:
        shard.sequences.clear()
        shard.records.clear()
        shard.positions.clear()
        shard.attempts = 0
        shard.held = False
        shard.retry_at = 0.0
        shard.replay_until = None
