"""Versioned reference data in the lake: load a version, list them, roll back to one.

A table's versions live under `reference/<table>/versions/`, its manifest in
`reference/<table>/_versions.json`, and the effective table every engine reads in
`reference/<table>/effective/`. Each operation writes, in this order, the version's rows (if any),
the manifest, then the effective table rebuilt from the manifest's active versions. A crash
between two steps leaves readers on the previous effective table; the next load or rollback (even
of the same file, which is otherwise a no-op) rebuilds it. One writer at a time per table.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import AwareDatetime, BaseModel, ConfigDict

from batch_layer.errors import ReferenceVersionError
from batch_layer.reference.effective import ActiveVersion, effective_table
from contract.lake import reference_effective_file, reference_manifest, reference_version_file
from contract.lake_io import LakeFiles
from contract.reference import ReferenceTable

logger = logging.getLogger(__name__)


class ReferenceVersion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    effective_from: AwareDatetime
    loaded_at: AwareDatetime
    rows: int
    file_name: str
    sha256: str
    """Of the validated rows, so the same content loaded twice is recognised whatever the file."""
    rolled_back_at: AwareDatetime | None = None
    """Set while a rollback to an earlier version keeps this one out of the effective table."""


class ReferenceManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str
    versions: list[ReferenceVersion] = []

    def active(self) -> list[ReferenceVersion]:
        return [v for v in self.versions if v.rolled_back_at is None]

    def current(self) -> int | None:
        active = self.active()
        return active[-1].version if active else None


@dataclass(frozen=True)
class LoadOutcome:
    version: ReferenceVersion
    already_loaded: bool
    effective_rows: int


def read_manifest(lake: LakeFiles, table: ReferenceTable) -> ReferenceManifest:
    document = lake.read_bytes(reference_manifest(table.name))
    if document is None:
        return ReferenceManifest(table=table.name)
    return ReferenceManifest.model_validate_json(document)


def load_version(
    lake: LakeFiles,
    table: ReferenceTable,
    rows: pa.Table,
    *,
    effective_from: datetime,
    file_name: str,
    loaded_at: datetime | None = None,
) -> LoadOutcome:
    """Store `rows` (validated, in `table.schema()`) as a new version effective from
    `effective_from`. The same rows with the same effective instant, already active, are not
    stored again."""
    if effective_from.tzinfo is None:
        raise ValueError("effective_from needs a time zone")
    manifest = read_manifest(lake, table)
    digest = _content_digest(rows)
    for existing in manifest.active():
        if existing.sha256 == digest and existing.effective_from == effective_from:
            written = _write_effective(lake, table, manifest)
            return LoadOutcome(existing, already_loaded=True, effective_rows=written)
    number = max((v.version for v in manifest.versions), default=0) + 1
    version = ReferenceVersion(
        version=number,
        effective_from=effective_from.astimezone(UTC),
        loaded_at=(loaded_at or datetime.now(UTC)).astimezone(UTC),
        rows=rows.num_rows,
        file_name=file_name,
        sha256=digest,
    )
    lake.write_parquet(reference_version_file(table.name, number), rows)
    manifest = manifest.model_copy(update={"versions": [*manifest.versions, version]})
    _write_manifest(lake, manifest)
    written = _write_effective(lake, table, manifest)
    logger.info(
        "reference version loaded",
        extra={
            "table": table.name,
            "version": number,
            "rows": rows.num_rows,
            "effective_from": version.effective_from.isoformat(),
            "effective_rows": written,
        },
    )
    return LoadOutcome(version, already_loaded=False, effective_rows=written)


def rollback(lake: LakeFiles, table: ReferenceTable, target: int) -> ReferenceManifest:
    """Make version `target` current: every later version is set aside (kept, and listed, with
    its rollback time) and every earlier one is active again."""
    manifest = read_manifest(lake, table)
    if not any(v.version == target for v in manifest.versions):
        known = ", ".join(str(v.version) for v in manifest.versions) or "none"
        raise ReferenceVersionError(
            f"{table.name} has no version {target} (versions: {known}); "
            f"see `salesflow reference history {table.name}`"
        )
    now = datetime.now(UTC)
    versions = [
        v.model_copy(
            update={"rolled_back_at": (v.rolled_back_at or now) if v.version > target else None}
        )
        for v in manifest.versions
    ]
    manifest = manifest.model_copy(update={"versions": versions})
    _write_manifest(lake, manifest)
    written = _write_effective(lake, table, manifest)
    logger.info(
        "reference rolled back",
        extra={"table": table.name, "version": target, "effective_rows": written},
    )
    return manifest


def forget_key(lake: LakeFiles, table: ReferenceTable, key_value: str) -> int:
    """Remove every row of `key_value` from every version (personal data erasure), then the
    manifest's row counts and digests and the effective table follow; the rows removed."""
    manifest = read_manifest(lake, table)
    removed = 0
    versions = []
    for stored in manifest.versions:
        path = reference_version_file(table.name, stored.version)
        rows = lake.read_parquet(path)
        kept = rows.filter(pc.invert(pc.fill_null(pc.equal(rows[table.key], key_value), False)))
        if kept.num_rows == rows.num_rows:
            versions.append(stored)
            continue
        removed += rows.num_rows - kept.num_rows
        lake.write_parquet(path, kept)
        versions.append(
            stored.model_copy(update={"rows": kept.num_rows, "sha256": _content_digest(kept)})
        )
    if removed:
        manifest = manifest.model_copy(update={"versions": versions})
        _write_manifest(lake, manifest)
        _write_effective(lake, table, manifest)
        logger.info("reference key forgotten", extra={"table": table.name, "rows": removed})
    return removed


def _write_manifest(lake: LakeFiles, manifest: ReferenceManifest) -> None:
    document = (manifest.model_dump_json(indent=2) + "\n").encode()
    lake.write_bytes(reference_manifest(manifest.table), document)


def _write_effective(lake: LakeFiles, table: ReferenceTable, manifest: ReferenceManifest) -> int:
    versions = [
        ActiveVersion(
            v.version,
            v.effective_from,
            table.conform(lake.read_parquet(reference_version_file(table.name, v.version))),
        )
        for v in manifest.active()
    ]
    effective = effective_table(table, versions)
    lake.write_parquet(reference_effective_file(table.name), effective)
    return int(effective.num_rows)


def _content_digest(rows: pa.Table) -> str:
    digest = hashlib.sha256()
    for row in rows.to_pylist():
        digest.update(repr(sorted(row.items())).encode())
    return digest.hexdigest()
