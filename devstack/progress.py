"""The live progress line of `salesflow up`: events sent, acknowledged, landed, and freshness.

Sent and acknowledged come from the simulator's ledger file; landed is the number of rows in the
lake's bronze event files (all runs, since the lake survives restarts), counted from the Parquet
footers of files not seen before; freshness is the age of the newest landed event as the
serving API reports it, and T the cutoff of the published batch run. Each source is optional:
what cannot be read shows as `-`.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from contract.lake import BRONZE_EVENTS, LakeLocation
from contract.settings import Settings

logger = logging.getLogger(__name__)


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
        self._location = LakeLocation.parse(lake_uri)
        self._filesystem = self._location.filesystem(
            s3_endpoint_url=settings.endpoint_url("s3"), region=settings.aws_region
        )
        self._rows: dict[str, int] = {}

    def count(self) -> int:
        selector = pafs.FileSelector(
            self._location.path(BRONZE_EVENTS), recursive=True, allow_not_found=True
        )
        current = {
            info.path
            for info in self._filesystem.get_file_info(selector)
            if info.type == pafs.FileType.File
            and info.path.endswith(".parquet")
            and not Path(info.path).name.startswith(("_", "."))
        }
        self._rows = {path: rows for path, rows in self._rows.items() if path in current}
        for path in current - self._rows.keys():
            try:
                with self._filesystem.open_input_file(path) as file:
                    self._rows[path] = pq.ParquetFile(file).metadata.num_rows
            except (OSError, ValueError):
                continue
        return sum(self._rows.values())


class ProgressProbe:
    def __init__(
        self,
        *,
        ledger_path: Path | None,
        lake_uri: str,
        settings: Settings,
        serve_url: str | None,
    ) -> None:
        self._ledger_path = ledger_path
        self._bronze = BronzeRowCounter(lake_uri, settings)
        self._serve_url = serve_url

    def read(self) -> Progress:
        stats = self._ledger_stats()
        freshness = self._freshness()
        return Progress(
            sent=stats.get("events_sent"),
            acknowledged=stats.get("acknowledged"),
            landed=self._landed(),
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

    def _landed(self) -> int | None:
        try:
            return self._bronze.count()
        except OSError:
            logger.debug("cannot count bronze rows yet", exc_info=True)
            return None

    def _freshness(self) -> dict[str, Any]:
        if self._serve_url is None:
            return {}
        try:
            with urllib.request.urlopen(  # noqa: S310 (http on loopback)
                f"{self._serve_url}/v1/freshness", timeout=2
            ) as response:
                body: dict[str, Any] = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError):
            return {}
        return body
