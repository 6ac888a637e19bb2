"""The published state of `sales_wide`: which run folder holds each day, and the manifests every
reader goes through.

A full run writes every day into its own folder; an incremental one writes only the days it
affects and keeps the other days where they are. Either way, before publishing, the run writes
one manifest per day of the whole state, `gold/runs/<run_id>/sales_wide_manifest/sale_date=D/
manifest`: the URIs of that day's Parquet files, one per line. That folder is the table's location
for Athena (Hive's symlink input format, partition projection over `sale_date`) and for the DuckDB
engine, so a state reuses unchanged days without copying them and is replaced for every reader by
the one pointer write that publishes it (ADR 0018).
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable, Mapping

from contract.gold import SALES_WIDE, SALES_WIDE_PARTITION_COLUMN
from contract.lake import MANIFEST_FILE, gold_run, manifest_lines, sales_wide_manifest
from contract.lake_io import LakeFiles
from contract.publication import DayPartition


def day_folder(run_id: str, day: str) -> str:
    """Where `run_id` wrote the `sales_wide` files of `day` (ISO date)."""
    return f"{gold_run(run_id)}/{SALES_WIDE}/{SALES_WIDE_PARTITION_COLUMN}={day}"


def day_files(lake: LakeFiles, days: Mapping[str, DayPartition]) -> dict[str, list[str]]:
    """Each day's Parquet files (relative to the lake root), listed once per run folder."""
    by_run: dict[str, set[str]] = defaultdict(set)
    for day, partition in days.items():
        by_run[partition.run_id].add(day)
    files: dict[str, list[str]] = {}
    for run_id, wanted in by_run.items():
        prefix = f"{gold_run(run_id)}/{SALES_WIDE}/{SALES_WIDE_PARTITION_COLUMN}="
        for path in lake.list_files(f"{gold_run(run_id)}/{SALES_WIDE}"):
            day = path.removeprefix(prefix).split("/", 1)[0]
            if day in wanted and path.endswith(".parquet"):
                files.setdefault(day, []).append(path)
    missing = sorted(set(days) - set(files))
    if missing:
        raise FileNotFoundError(
            f"sales_wide days {', '.join(missing[:5])} have no files where the state says; "
            "rebuild with `salesflow batch run --full`"
        )
    return files


def write_manifests(lake: LakeFiles, run_id: str, files: Mapping[str, Iterable[str]]) -> None:
    """One manifest per day, a file per line: in an S3 lake its full URI, as Athena's symlink
    tables read it; in a local lake its path relative to the manifest's folder, so the lake can
    be moved or copied and stay readable (`contract.lake.manifest_lines`)."""
    for day, paths in sorted(files.items()):
        folder = f"{sales_wide_manifest(run_id)}/{SALES_WIDE_PARTITION_COLUMN}={day}"
        lines = [
            posixpath.relpath(path, folder) if lake.is_local else lake.uri_of(path)
            for path in sorted(paths)
        ]
        lake.write_bytes(
            f"{folder}/{MANIFEST_FILE}", "".join(f"{line}\n" for line in lines).encode()
        )


def referenced_runs(days: Mapping[str, DayPartition]) -> set[str]:
    """The runs whose folders a state reads `sales_wide` from."""
    return {partition.run_id for partition in days.values()}


def published_files(lake: LakeFiles, manifest_folder: str) -> list[str]:
    """The data files a published `sales_wide` manifest folder lists (full paths or URIs), for
    readers outside the engines: the pyarrow tools, benchmarks and tests."""
    listed = []
    for path in lake.list_files(manifest_folder):
        if path.endswith(f"/{MANIFEST_FILE}"):
            content = (lake.read_bytes(path) or b"").decode()
            listed += manifest_lines(content, posixpath.dirname(lake.uri_of(path)))
    return listed
