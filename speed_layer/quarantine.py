"""The quarantine: records that fail the contract, kept with the reason and the raw payload.

JSON lines under `bronze/_quarantine/quarantined_date=YYYY-MM-DD/<batch key>.jsonl`, one object
per record: `reason`, `source` (shard and sequence number, or SQS message id), `quarantined_at`,
and the payload as `payload` (UTF-8 text) or `payload_base64` (when it is not UTF-8), so an
operator can fix and replay it byte for byte.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from contract import stream_compression
from contract.lake import QUARANTINE
from speed_layer.records import DeliveredRecord

MAX_REASONS = 10


@dataclass(frozen=True)
class QuarantinedRecord:
    record: DeliveredRecord
    reason: str

    @classmethod
    def of(cls, record: DeliveredRecord, error: ValidationError) -> QuarantinedRecord:
        """Why the record failed: a compressed record the consumer could not inflate (so it
        reached `land()` as it was) says that, rather than that its bytes are not JSON."""
        if stream_compression.is_compressed(record.data):
            try:
                stream_compression.decompress(record.data)
            except stream_compression.CompressedRecordError as unreadable:
                return cls(record, f"(record): a compressed stream record: {unreadable}")
        return cls(record, validation_reason(error))

    def as_json(self, quarantined_at: datetime) -> dict[str, str]:
        entry = {
            "reason": self.reason,
            "source": self.record.source,
            "quarantined_at": quarantined_at.astimezone(UTC).isoformat(),
        }
        try:
            entry["payload"] = self.record.data.decode("utf-8")
        except UnicodeDecodeError:
            entry["payload_base64"] = base64.b64encode(self.record.data).decode("ascii")
        return entry


def validation_reason(error: ValidationError) -> str:
    """`field.path: message; ...` for the first few errors: specific, without echoing values."""
    parts = [
        f"{'.'.join(str(p) for p in detail['loc']) or '(record)'}: {detail['msg']}"
        for detail in error.errors(include_url=False, include_input=False)[:MAX_REASONS]
    ]
    extra = error.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {extra} more" if extra > 0 else "")


def quarantine_path(batch_key: str, now: datetime) -> str:
    return f"{QUARANTINE}/quarantined_date={now.astimezone(UTC):%Y-%m-%d}/{batch_key}.jsonl"


def quarantine_lines(entries: list[QuarantinedRecord], now: datetime) -> bytes:
    return b"".join(
        json.dumps(entry.as_json(now), ensure_ascii=False).encode() + b"\n" for entry in entries
    )
