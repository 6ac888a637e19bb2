"""What the local engine's real-time side is computed from, and what changed between listings.

The side (`duckdb_realtime`) is derived from the bronze and CSV files of a listing, and the
reference tables. Between two listings, the change decides the work:

- only new bronze or CSV files: merge them;
- a compaction (outputs appearing, their inputs disappearing): nothing to compute when the side
  already holds every input's records, because compaction copies records unchanged and the
  output's footer names its inputs (`contract.compaction_lineage`). An output that also holds
  files the side never saw is merged like a new file: its copies of events the side holds tie
  with the stored winners and change nothing;
- anything else (a file rewritten, a file gone that no listed output replaced, a CSV upload
  removed, a reference load): rebuild.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from contract.lake import BRONZE_EVENTS, CSV_UPLOADS, reference_effective, reference_effective_file
from contract.lake_io import LakeFiles
from contract.reference import REFERENCE_TABLES
from serving.engines.duckdb_realtime import SOURCE_TABLES, SourceFiles
from serving.published_run import PublishedRun

FileVersion = tuple[str, int, int]
"""URI, size in bytes and modification time in ns of a file the real-time side reads."""
Listing = frozenset[FileVersion]
BRONZE_TABLE, CSV_TABLE = SOURCE_TABLES


def realtime_files(run: PublishedRun, lake: LakeFiles) -> Listing:
    """Every file the real-time view reads: bronze partitions from the cutoff's UTC date on, CSV
    uploads and the reference tables (a catalog load fills in the attributes of lines sold
    before it). A refresh makes this listing every few seconds, so each part is one request on
    S3: bronze from T's day on in one listing (not one per day), the uploads' folder, and each
    reference table's one effective file by a HEAD, which S3 bills as a GET, a tenth of a LIST."""
    first_day = f"{BRONZE_EVENTS}/ingest_date={run.cutoff:%Y-%m-%d}"
    bronze = lake.file_versions_after(BRONZE_EVENTS, first_day)
    references = [lake.file_version(reference_effective_file(table)) for table in REFERENCE_TABLES]
    return frozenset(
        (lake.uri_of(path), size, modified)
        for path, size, modified in [
            *_matching(bronze, BRONZE_EVENTS, "ingest_date=*/*/*.parquet"),
            *_matching(lake.file_versions(CSV_UPLOADS), CSV_UPLOADS, "*.csv"),
            *(version for version in references if version is not None),
        ]
    )


def _matching(
    versions: list[tuple[str, int, int]], folder: str, pattern: str
) -> list[tuple[str, int, int]]:
    """The files of a listing of `folder` whose path below it matches `pattern`."""
    return [v for v in versions if _matches(v[0].removeprefix(f"{folder}/"), pattern)]


def _matches(relative: str, pattern: str) -> bool:
    """Whether a path matches a glob segment by segment (`*` never crosses a `/`)."""
    parts, wanted = relative.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(map(fnmatch.fnmatchcase, parts, wanted))


def source_files(run: PublishedRun, uris: Iterable[str]) -> SourceFiles:
    """The bronze and CSV files among `uris`, sorted."""
    bronze_root, csv_root = _roots(run)
    paths = sorted(uris)
    return SourceFiles(
        tuple(p for p in paths if p.startswith(bronze_root)),
        tuple(p for p in paths if p.startswith(csv_root)),
    )


def table_files(run: PublishedRun, uris: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The files among `uris` of each table a listing covers, sorted: the real-time sources
    (bronze from T's UTC date on) and the reference tables."""
    sources = source_files(run, uris)
    paths = sorted(uris)
    references = {
        table: tuple(
            p for p in paths if p.startswith(f"{run.lake.uri_of(reference_effective(table))}/")
        )
        for table in REFERENCE_TABLES
    }
    return {BRONZE_TABLE: sources.bronze, CSV_TABLE: sources.csv, **references}


def _roots(run: PublishedRun) -> tuple[str, str]:
    return f"{run.lake.uri_of(BRONZE_EVENTS)}/", f"{run.lake.uri_of(CSV_UPLOADS)}/"


@dataclass
class CompactionLineage:
    """The inputs (URIs) each compacted bronze file declares, read from its footer once."""

    read: Callable[[str], tuple[str, ...] | None]
    """URI to the URIs it declares it replaced; None when it declares none (not a compaction
    output: `contract.compaction_lineage` tells them by name, without reading) or is gone."""
    _known: dict[str, tuple[str, ...] | None] = field(default_factory=dict)

    def inputs(self, uri: str) -> tuple[str, ...]:
        if uri not in self._known:
            self._known[uri] = self.read(uri)
        return self._known[uri] or ()

    def replaced(self, uris: Iterable[str]) -> set[str]:
        """Every file `uris` replaced, through compactions of compactions."""
        found: set[str] = set()
        pending = list(uris)
        while pending:
            for declared in self.inputs(pending.pop()):
                if declared not in found:
                    found.add(declared)
                    pending.append(declared)
        return found

    def keep_only(self, uris: Iterable[str]) -> None:
        """Forget files no longer listed (a file's inputs are needed while it is listed)."""
        listed = set(uris)
        self._known = {uri: inputs for uri, inputs in self._known.items() if uri in listed}


def files_to_merge(
    run: PublishedRun, before: Listing, now: Listing, lineage: CompactionLineage
) -> SourceFiles | None:
    """The new files whose records the side does not hold yet (possibly none), or None when the
    side must be rebuilt (see the module's docstring)."""
    versions_before = {uri: (size, modified) for uri, size, modified in before}
    versions_now = {uri: (size, modified) for uri, size, modified in now}
    if any(versions_now.get(uri, version) != version for uri, version in versions_before.items()):
        return None
    bronze_root, csv_root = _roots(run)
    added = versions_now.keys() - versions_before.keys()
    removed = versions_before.keys() - versions_now.keys()
    if not all(uri.startswith((bronze_root, csv_root)) for uri in added) or not all(
        uri.startswith(bronze_root) for uri in removed
    ):
        return None
    listed_bronze = [uri for uri in versions_now if uri.startswith(bronze_root)]
    if removed and not removed <= lineage.replaced(listed_bronze):
        return None
    held = set(versions_before)
    new = [uri for uri in added if not _holds_only(uri, held, lineage)]
    return source_files(run, new)


def _holds_only(uri: str, held: set[str], lineage: CompactionLineage) -> bool:
    """Whether `uri` is a compaction output of files whose records the side already holds."""
    inputs = lineage.inputs(uri)
    return bool(inputs) and all(
        declared in held or _holds_only(declared, held, lineage) for declared in inputs
    )
