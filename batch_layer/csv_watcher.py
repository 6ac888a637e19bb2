"""Watch `<state-dir>/landing/` for CSV exports and load each one: the local stand-in for the S3
object-created trigger. `salesflow up` runs `CsvWatcher(settings).run(stop)` in a thread.

As with the S3 landing prefix, `landing/<file>.csv` is in the contract's own CSV format and
`landing/<mapping>/<file>.csv` is read with the lake's `config/mappings/<mapping>.toml`. Files are
streamed (`csv_loader`), so a large one does not need the memory it would take whole.

Polling (not inotify) keeps it portable. A file is picked up once its size and modification time
have stayed the same for one poll, so a copy still in progress is never read half-written.
Loaded files move to `landing/loaded/`; files that cannot be read at all move to
`landing/rejected/` beside a `.reason.txt`, so nothing dropped in the folder is lost.
"""

from __future__ import annotations

import argparse
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path

from batch_layer.csv_loader import LoadResult, load_csv
from batch_layer.csv_mapping import CONTRACT_FORMAT, ExportMapping, mapping_from_lake
from batch_layer.csv_sources import LocalExport
from batch_layer.errors import BatchLayerError
from contract.lake_io import LakeFiles
from contract.settings import Settings
from contract.structured_logging import configure_logging

LANDING_DIR = "landing"
_OWN_FOLDERS = ("loaded", "rejected")

logger = logging.getLogger(__name__)


class CsvWatcher:
    def __init__(
        self,
        settings: Settings,
        *,
        landing_dir: Path | None = None,
        lake_uri: str | None = None,
        poll_seconds: float = 1.0,
    ) -> None:
        self.settings = settings
        self.landing_dir = landing_dir or settings.state_dir / LANDING_DIR
        self.lake_uri = lake_uri or settings.lake_uri
        self.poll_seconds = poll_seconds
        self._seen: dict[Path, tuple[int, int]] = {}

    def poll_once(self) -> list[LoadResult]:
        """Load the CSV files that have not changed since the previous poll."""
        self.landing_dir.mkdir(parents=True, exist_ok=True)
        landed = [*self.landing_dir.glob("*.csv"), *self.landing_dir.glob("*/*.csv")]
        current = {
            path: (stat.st_size, stat.st_mtime_ns)
            for path in sorted(landed)
            if path.parent.name not in _OWN_FOLDERS and path.is_file() and (stat := path.stat())
        }
        settled = [path for path, state in current.items() if self._seen.get(path) == state]
        self._seen = {path: state for path, state in current.items() if path not in settled}
        results = []
        for path in settled:
            result = self._load(path)
            if result is not None:
                results.append(result)
        return results

    def run(self, stop: threading.Event) -> None:
        logger.info("watching for csv files", extra={"landing_dir": str(self.landing_dir)})
        while not stop.is_set():
            try:
                self.poll_once()
            except OSError:
                logger.exception("csv watcher poll failed; retrying at the next poll")
            stop.wait(self.poll_seconds)

    def _load(self, path: Path) -> LoadResult | None:
        try:
            result = load_csv(
                LocalExport(path),
                settings=self.settings,
                mapping=self._mapping_for(path),
                lake_uri=self.lake_uri,
            )
        except BatchLayerError as error:
            rejected = self._move(path, "rejected")
            rejected.with_name(rejected.name + ".reason.txt").write_text(f"{error}\n")
            logger.warning("csv file rejected", extra={"file": path.name, "reason": str(error)})
            return None
        self._move(path, "loaded")
        return result

    def _mapping_for(self, path: Path) -> ExportMapping:
        if path.parent == self.landing_dir:
            return CONTRACT_FORMAT
        return mapping_from_lake(LakeFiles.open(self.lake_uri, self.settings), path.parent.name)

    def _move(self, path: Path, folder: str) -> Path:
        target_dir = self.landing_dir / folder
        target_dir.mkdir(exist_ok=True)
        target = target_dir / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{path.name}"
        return path.rename(target)


def main() -> None:
    parser = argparse.ArgumentParser(description="load CSV files dropped in <state-dir>/landing/")
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    args = parser.parse_args()
    configure_logging()
    stop = threading.Event()
    try:
        CsvWatcher(Settings(), poll_seconds=args.poll_seconds).run(stop)
    except KeyboardInterrupt:
        stop.set()


if __name__ == "__main__":
    main()
