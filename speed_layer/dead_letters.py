"""The dead-letter queue: where records go after `speed_max_attempts` failed landings.

Like Lambda's on-failure destination, each message carries the original payload as its body
(base64 when it is not UTF-8, said in the `payload_encoding` attribute) and attributes naming
the reason, the source (shard and sequence number, or the SQS message id) and the attempts, so
an operator can inspect and replay it. Nothing acknowledged is ever dropped.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from typing import Any

from speed_layer.errors import DeadLetterError
from speed_layer.records import DeliveredRecord

logger = logging.getLogger(__name__)

SQS_BATCH_LIMIT = 10
MAX_REASON_CHARS = 1000


class DeadLetterQueue:
    def __init__(self, sqs_client: Any, queue_url: str) -> None:
        self._sqs = sqs_client
        self.queue_url = queue_url

    def send(self, records: Sequence[DeliveredRecord], reason: str, attempts: int) -> None:
        """Send every record, raising if any could not be sent (the caller must not move on)."""
        for start in range(0, len(records), SQS_BATCH_LIMIT):
            chunk = records[start : start + SQS_BATCH_LIMIT]
            response = self._sqs.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    _entry(str(index), record, reason, attempts)
                    for index, record in enumerate(chunk)
                ],
            )
            if response.get("Failed"):
                raise DeadLetterError(
                    f"the dead-letter queue refused {len(response['Failed'])} records: "
                    f"{response['Failed'][0].get('Message', 'no message')}"
                )
        logger.error("dead-lettered %s records after %s attempts", len(records), attempts)


def _entry(entry_id: str, record: DeliveredRecord, reason: str, attempts: int) -> dict[str, Any]:
    try:
        body, encoding = record.data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        body, encoding = base64.b64encode(record.data).decode("ascii"), "base64"

    def text(value: str) -> dict[str, str]:
        return {"DataType": "String", "StringValue": value}

    return {
        "Id": entry_id,
        "MessageBody": body,
        "MessageAttributes": {
            "reason": text(reason[:MAX_REASON_CHARS]),
            "source": text(record.source),
            "payload_encoding": text(encoding),
            "attempts": {"DataType": "Number", "StringValue": str(attempts)},
        },
    }
