"""The record of each change in a report's comparison: when a gap was found and when it closed.

Whoever computes an outcome (the periodic check, an API request) records it when it differs from
the last one recorded for the scope, as a new immutable object:

    reconciliation/results/business_date=D/store_id=S/<scope>/<checked_at>-<digest>.json

so the history shows each step (matched at 23:40, gap of 3 events at 02:10 after a corrected
report, matched at 02:15 after the resend) without rewriting anything. Two serving processes may
record the same change twice, a few seconds apart; readers see two equal steps, nothing lost.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from contract.lake import RECONCILIATION_RESULTS
from contract.lake_io import LakeFiles
from contract.reconciliation import ReportKey
from serving.reconciliation.compare import ReportOutcome
from serving.reconciliation.models import RecordedResult, ReportResult

logger = logging.getLogger(__name__)


class _Recorded(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    checked_at: datetime
    result: ReportResult


class ResultLog:
    def __init__(self, lake: LakeFiles) -> None:
        self._lake = lake
        self._last: dict[str, str] = {}
        """Scope folder -> digest of the last result recorded there (by anyone, when read)."""
        self._lock = threading.Lock()

    def record(self, outcome: ReportOutcome, checked_at: datetime) -> bool:
        """Record `outcome` unless the scope's last record says the same; True if recorded."""
        result = ReportResult.of(outcome)
        digest = _digest(result)
        folder = _folder(outcome.key)
        with self._lock:
            last = self._last.get(folder)
            if last is None:
                latest = self._versions(folder)[-1:]
                last = _digest(self._read(latest[0]).result) if latest else ""
            if last == digest:
                self._last[folder] = digest
                return False
            utc = checked_at.astimezone(UTC)
            path = f"{folder}/{utc:%Y%m%dT%H%M%S%fZ}-{digest[:16]}.json"
            document = _Recorded(checked_at=utc, result=result)
            self._lake.write_bytes(path, document.model_dump_json().encode())
            self._last[folder] = digest
        logger.info(
            "reconciliation result changed",
            extra={
                "store_id": outcome.key.store_id,
                "business_date": outcome.key.business_date.isoformat(),
                "terminal_id": outcome.key.terminal_id,
                "status": outcome.status.value,
                "net_gap": result.net_gap,
            },
        )
        return True

    def history(self, key: ReportKey) -> list[RecordedResult]:
        """Every recorded change of `key`'s outcome, oldest first."""
        recorded = (self._read(path) for path in self._versions(_folder(key)))
        return [
            RecordedResult(checked_at=item.checked_at.isoformat(), result=item.result)
            for item in recorded
        ]

    def _versions(self, folder: str) -> list[str]:
        return [
            path
            for path in self._lake.list_files(folder)
            if path.endswith(".json") and not path.rpartition("/")[2].startswith(".")
        ]

    def _read(self, path: str) -> _Recorded:
        data = self._lake.read_bytes(path)
        if data is None:
            raise FileNotFoundError(f"no recorded result at {self._lake.uri_of(path)}")
        return _Recorded.model_validate_json(data)


def _folder(key: ReportKey) -> str:
    return f"{RECONCILIATION_RESULTS}/{key.scope_path}"


def _digest(result: ReportResult) -> str:
    canonical = json.dumps(result.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
