"""The live progress line of `salesflow up`: events sent, acknowledged, landed, and freshness.

All counts are of this session. Sent comes from the simulator's ledger file; acknowledged is what
the ingest API wrote to the stream, from any client, per its Prometheus counter; landed is the
growth of the rows in the lake's bronze event files (counted from the Parquet footers of files
not seen before; duplicate sends land as rows too); freshness is the age of the newest landed
event as the serving API reports it, and T the cutoff of the published batch run. Each source is
optional: what cannot be read shows as `-`.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from contract.lake import BRONZE_EVENTS
from contract.lake_io import LakeFiles
from contract.settings import Settings

logger = logging.getLogger(__name__)

ACCEPTED_METRIC = "salesflow_ingest_events_accepted"


@dataclass(frozen=True)
class Progress:
    sent: int | None
    acknowledged: int | None
    landed: int | None
    freshness_seconds: float | None
    boundary: str | None

    def line(self) -> str:
        freshness = f"{self.freshness_seconds:.1f}s" if self.freshness_seconds is not None else "-"
        return (
            f"sent {_count(self.sent)} · acknowledged {_count(self.acknowledged)} · "
            f"landed {_count(self.landed)} · freshness {freshness} · "
            f"batch boundary T {self.boundary or 'none yet'}"
        )


def _count(value: int | None) -> str:
    return f"{value:,}" if value is not None else "-"


class BronzeRowCounter:
    """Counts bronze rows incrementally: a file's footer is read once, when it first appears."""

    def __init__(self, lake_uri: str, settings: Settings) -> None:
        self._lake = LakeFiles.open(lake_uri, settings)
        self._rows: dict[str, int] = {}

    def count(self) -> int:
        current = {
            path
            for path in self._lake.list_files(BRONZE_EVENTS)
            if path.endswith(".parquet") and not Path(path).name.startswith(("_", "."))
        }
        self._rows = {path: rows for path, rows in self._rows.items() if path in current}
        for path in current - self._rows.keys():
            try:
                self._rows[path] = self._lake.parquet_row_count(path)
            except (OSError, ValueError):
                continue
        return sum(self._rows.values())


class ProgressProbe:
    """Reads the figures of this session: since `up` started, not since the lake was created."""

    def __init__(
        self,
        *,
        ledger_path: Path | None,
        lake_uri: str,
        settings: Settings,
        ingest_url: str | None,
        serve_url: str | None,
    ) -> None:
        self._ledger_path = ledger_path
        self._bronze = BronzeRowCounter(lake_uri, settings)
        self._ingest_url = ingest_url
        self._serve_url = serve_url
        self._landed_before = self._bronze_rows() or 0

    def read(self) -> Progress:
        freshness = self._get_json(self._serve_url, "/v1/freshness")
        bronze_rows = self._bronze_rows()
        return Progress(
            sent=self._ledger_stats().get("events_sent"),
            acknowledged=self._accepted(),
            landed=None if bronze_rows is None else bronze_rows - self._landed_before,
            freshness_seconds=freshness.get("newest_event_age_seconds"),
            boundary=freshness.get("boundary") if freshness.get("last_batch") else None,
        )

    def _ledger_stats(self) -> dict[str, Any]:
        if self._ledger_path is None:
            return {}
        try:
            stats: dict[str, Any] = json.loads(self._ledger_path.read_text())["stats"]
        except (OSError, ValueError, KeyError):
            return {}
        return stats

    def _accepted(self) -> int | None:
        """Events the ingest API wrote to the stream, from every client, per its /metrics."""
        text = self._get_text(self._ingest_url, "/metrics")
        if text is None:
            return None
        return int(
            sum(
                sample.value
                for family in text_string_to_metric_families(text)
                if family.name == ACCEPTED_METRIC
                for sample in family.samples
                if sample.name == f"{ACCEPTED_METRIC}_total"
            )
        )

    def _bronze_rows(self) -> int | None:
        try:
            return self._bronze.count()
        except OSError:
            logger.debug("cannot count bronze rows yet", exc_info=True)
            return None

    def _get_json(self, base_url: str | None, path: str) -> dict[str, Any]:
        text = self._get_text(base_url, path)
        try:
            body: dict[str, Any] = json.loads(text) if text else {}
        except ValueError:
            return {}
        return body

    @staticmethod
    def _get_text(base_url: str | None, path: str) -> str | None:
        if base_url is None:
            return None
        try:
            with urllib.request.urlopen(  # noqa: S310 (http on loopback)
                f"{base_url}{path}", timeout=2
            ) as response:
                text: str = response.read().decode()
        except (urllib.error.URLError, OSError, UnicodeDecodeError):
            return None
        return text
