"""A KCL record processor speaking the MultiLangDaemon protocol, for ECS/EC2 deployments.

The KCL's MultiLangDaemon (Java) owns leases and checkpoints in DynamoDB and runs one child
process per shard: `python -m speed_layer.kcl_processor` (its `executableName`). They talk in
JSON lines: the daemon sends `initialize`, `processRecords`, `leaseLost`, `shardEnded` and
`shutdownRequested`; the child answers each with `{"action": "status", "responseFor": ...}` and
may first send `{"action": "checkpoint", ...}`, to which the daemon replies with a `checkpoint`
message carrying an `error` or null.

This module implements that protocol directly instead of depending on `amazon-kclpy`: the
package's Python part is this same protocol, and its build downloads the daemon's jars from
Maven Central in setup.py, which fails where Maven is unreachable (docs/speed_layer.md). The
daemon itself (jars, `java software.amazon.kinesis.multilang.MultiLangDaemon`) is deployed
separately.

A batch is landed under `{shard}-{first}-{last}`, retried in place with backoff, dead-lettered
after `speed_max_attempts`, and only then checkpointed. The KCL de-aggregates KPL records itself:
each record it hands over is one event, with the `subSequenceNumber` of its place in an
aggregated record (0 for a plain record). The batch key and the checkpoint carry it, so a
restart resumes after the last event landed, not at the start of its aggregated record (which
would land that record's remaining events again under another key).

A gzip-compressed record (`contract.stream_compression`) is not a format the KCL knows: it hands
it over whole, and `deaggregation.split_kcl_record` inflates and splits it. Its events' positions
name the batch, but the checkpoint stays the KCL's own (the record's sequence number): the KCL
refuses a checkpoint past the last record it delivered, and a compressed record is always landed
whole, in the batch it came in.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from contract.aws import aws_client
from contract.lake_io import LakeFiles
from contract.settings import Settings
from contract.structured_logging import configure_logging
from speed_layer.batching import BatchingPolicy
from speed_layer.dead_letters import DeadLetterQueue
from speed_layer.deaggregation import split_kcl_record
from speed_layer.errors import ProtocolError
from speed_layer.landing import land, warm_up
from speed_layer.records import Batch, DeliveredRecord, kinesis_batch_key

logger = logging.getLogger(__name__)


class KclRecordProcessor:
    def __init__(
        self,
        *,
        lake: LakeFiles,
        dead_letters: DeadLetterQueue,
        policy: BatchingPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lake = lake
        self._dead_letters = dead_letters
        self._policy = policy
        self._sleep = sleep
        self._shard_id = "unknown-shard"

    def serve(self, incoming: IO[str], outgoing: IO[str]) -> None:
        """Handle the daemon's messages until it closes our stdin."""
        channel = _Channel(incoming, outgoing)
        while (message := channel.receive()) is not None:
            action = message.get("action")
            if action == "initialize":
                self._shard_id = message["shardId"]
                logger.info("KCL assigned shard %s", self._shard_id)
            elif action == "processRecords":
                self._process(message["records"], channel)
            elif action in ("shardEnded", "shutdownRequested"):
                channel.checkpoint(None)
            elif action != "leaseLost":
                raise ProtocolError(f"unknown MultiLangDaemon action {action!r}")
            channel.send({"action": "status", "responseFor": action})

    def _process(self, records: list[dict[str, Any]], channel: _Channel) -> None:
        if not records:
            return
        events = [event for record in records for event in split_kcl_record(record)]
        batch = Batch(
            kinesis_batch_key(self._shard_id, events[0].position, events[-1].position),
            tuple(
                DeliveredRecord(event.data, f"{self._shard_id}:{event.position}")
                for event in events
            ),
        )
        for attempt in range(1, self._policy.max_attempts + 1):
            report = land(batch, self._lake)
            if report.ok:
                break
            if attempt == self._policy.max_attempts:
                self._dead_letters.send(
                    [batch.records[position] for position in report.failed],
                    reason=f"could not write to the lake {self._lake.location.uri} "
                    f"after {attempt} attempts",
                    attempts=attempt,
                )
                break
            self._sleep(self._policy.backoff_seconds(attempt))
        last = records[-1]
        channel.checkpoint(last["sequenceNumber"], last.get("subSequenceNumber") or 0)


class _Channel:
    def __init__(self, incoming: IO[str], outgoing: IO[str]) -> None:
        self._incoming = incoming
        self._outgoing = outgoing

    def receive(self) -> dict[str, Any] | None:
        while line := self._incoming.readline():
            if line.strip():
                message: dict[str, Any] = json.loads(line)
                return message
        return None

    def send(self, message: dict[str, Any]) -> None:
        """Framed by newlines, as the daemon expects, in case a library printed to stdout."""
        self._outgoing.write(f"\n{json.dumps(message)}\n")
        self._outgoing.flush()

    def checkpoint(
        self, sequence_number: str | None, sub_sequence_number: int | None = None
    ) -> None:
        """Ask the daemon to checkpoint (None: at the end of what it delivered, or SHARD_END)."""
        self.send(
            {
                "action": "checkpoint",
                "sequenceNumber": sequence_number,
                "subSequenceNumber": sub_sequence_number,
            }
        )
        reply = self.receive()
        if reply is None or reply.get("action") != "checkpoint":
            raise ProtocolError(f"expected the daemon's checkpoint reply, got {reply!r}")
        if reply.get("error"):
            logger.warning(
                "checkpoint at %s refused: %s; the batch may be redelivered and is then "
                "deduplicated by event_id at read time",
                sequence_number,
                reply["error"],
            )


def main() -> int:
    # The daemon owns this process's life: it asks for a final checkpoint (`shutdownRequested`)
    # and closes stdin. Ctrl-C or a process-group SIGTERM reaching the child directly would cut
    # that hand-over short and leave the shard's lease to expire instead of being handed back.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    configure_logging()
    warm_up()
    settings = Settings()
    sqs = aws_client(settings, "sqs")
    dead_letter_url = sqs.get_queue_url(QueueName=settings.kinesis_dead_letter_queue_name)[
        "QueueUrl"
    ]
    KclRecordProcessor(
        lake=LakeFiles.open(settings.lake_uri, settings),
        dead_letters=DeadLetterQueue(sqs, dead_letter_url),
        policy=BatchingPolicy.from_settings(settings),
    ).serve(sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
