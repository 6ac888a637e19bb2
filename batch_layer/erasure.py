"""Personal data erasure (Brazil's LGPD, the GDPR): a customer's data out of every copy the lake
holds, the sales kept.

A sale happened and its money stays in every total; what goes is the link to the person. So the
customer's id is replaced, wherever it is stored, by a pseudonym made for this request
(`forgotten-<random>`, related to nothing and recorded nowhere with the id), and what describes
the person is removed:

- every Parquet file (bronze events, every kept gold run's `sales_wide`, quarantine and customer
  tables): each string equal to the id, at any depth (the event's attributes too), becomes the
  pseudonym, and the `customer_*` attribute columns of those rows become null;
- every text file (CSV uploads and parts, the CSV and speed quarantines, refusal notes): each
  occurrence of the id as a whole identifier becomes the pseudonym, and in the CSV quarantine,
  which keeps a refused row's original cells, every other cell of such a row is blanked;
- the customers reference table: the customer's rows leave every version, and the effective
  table is rebuilt (`batch_layer.reference.versions.forget_key`); so do they the copy of the
  effective table each kept gold run holds to tell the next run what changed (ADR 0018), which
  a pseudonym alone would leave describing the person (segment, city, state);
- exports under `landing/`: one already loaded (its load record exists) is deleted, its rows
  being in the uploads; one not loaded yet is rewritten like a text file;
- on S3, every earlier version of each object changed or deleted, and its delete markers;
- the DynamoDB profile store's items of the customer, and Athena query results naming them.

The nightly job rebuilds gold from bronze, the uploads and the reference data, which no longer
hold the id, so the next run cannot bring it back. Events still in the stream or queue, and
exports that land later, can carry it again: run the erasure again after the stream's retention
(docs/operations.md). The request is recorded in `audit/erasures/<request_id>.json`: when, the
pseudonym and what was changed where, never the id.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from batch_layer.reference.versions import forget_key
from contract.aws import aws_client
from contract.lake import (
    CSV_LOADS,
    ERASURE_AUDIT,
    GOLD_RUNS,
    LANDING,
    QUARANTINE,
    REFERENCE,
    LakeLocation,
    reference_snapshot_file,
)
from contract.lake_io import LakeFiles
from contract.profile_store import ProfileStore
from contract.reference import REFERENCE_TABLES
from contract.settings import Settings

logger = logging.getLogger(__name__)

IDENTIFIER_CHARACTERS = "A-Za-z0-9_.:/-"
"""What an identifier is made of (contract.event.Identifier): an occurrence of the id counts
only when no such character touches it, so `C-1` is not found inside `C-10`."""
PERSONAL_COLUMNS = re.compile(r"^customer_(?!id$)")
"""Columns describing the customer beside the id (`customer_city`, `customer_segment`, ...)."""
TEXT_SUFFIXES = (".csv", ".json", ".jsonl", ".txt")


@dataclass
class ErasureReport:
    request_id: str
    pseudonym: str
    requested_at: datetime
    dry_run: bool
    changed_files: Counter[str] = field(default_factory=Counter)
    """Files rewritten, by lake area (`bronze/sales_events`, `gold/runs`, ...)."""
    changed_values: Counter[str] = field(default_factory=Counter)
    deleted_files: Counter[str] = field(default_factory=Counter)
    reference_rows_removed: int = 0
    object_versions_deleted: int = 0
    profile_items_deleted: int = 0
    query_results_deleted: int = 0

    def audit_record(self) -> bytes:
        """What the audit log keeps: no customer id, nothing derived from it."""
        document = {
            "request_id": self.request_id,
            "subject": "customer",
            "pseudonym": self.pseudonym,
            "requested_at": self.requested_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "changed_files": dict(self.changed_files),
            "changed_values": dict(self.changed_values),
            "deleted_files": dict(self.deleted_files),
            "reference_rows_removed": self.reference_rows_removed,
            "object_versions_deleted": self.object_versions_deleted,
            "profile_items_deleted": self.profile_items_deleted,
            "query_results_deleted": self.query_results_deleted,
        }
        return (json.dumps(document, indent=2) + "\n").encode()


def forget_customer(
    settings: Settings, customer_id: str, *, dry_run: bool = False
) -> ErasureReport:
    """Erase `customer_id` from the lake of `settings` and the stores beside it (module doc)."""
    now = datetime.now(UTC)
    report = ErasureReport(
        request_id=f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}",
        pseudonym=f"forgotten-{secrets.token_hex(8)}",
        requested_at=now,
        dry_run=dry_run,
    )
    lake = LakeFiles.open(settings.lake_uri, settings)
    eraser = _Eraser(customer_id, report.pseudonym)
    loaded = {path.rsplit("/", 1)[-1].removesuffix(".json") for path in lake.list_files(CSV_LOADS)}
    touched = _erase_lake_files(lake, eraser, loaded, report)
    customers = REFERENCE_TABLES["customers"]
    if dry_run:
        report.reference_rows_removed = _reference_rows(lake, customers.key, customer_id)
    else:
        report.reference_rows_removed = forget_key(lake, customers, customer_id)
        touched += [p for p in lake.list_files(f"{REFERENCE}/customers") if p.endswith(".parquet")]
    location = LakeLocation.parse(settings.lake_uri)
    if location.scheme == "file":
        _local_landing(settings.state_dir / "landing", eraser, loaded, report)
    if location.scheme == "s3" and not dry_run:
        report.object_versions_deleted = _purge_old_versions(settings, location, touched)
    if settings.customer_profile_store == "dynamodb" and not dry_run:
        store = ProfileStore(settings)
        try:
            report.profile_items_deleted = store.forget(customer_id)
        finally:
            store.close()
    if "athena" in (settings.serving_engine, settings.publish_catalog):
        report.query_results_deleted = _purge_query_results(settings, eraser, dry_run=dry_run)
    if not dry_run:
        lake.write_bytes(f"{ERASURE_AUDIT}/{report.request_id}.json", report.audit_record())
    logger.warning(
        "customer data erased" if not dry_run else "customer data erasure planned",
        extra={"request_id": report.request_id, "files": sum(report.changed_files.values())},
    )
    return report


def _erase_lake_files(
    lake: LakeFiles, eraser: _Eraser, loaded: set[str], report: ErasureReport
) -> list[str]:
    """Every lake file but the customers table (erased by key) and the audit log; the paths
    changed or deleted."""
    touched: list[str] = []
    for path in lake.list_files(""):
        if path.startswith((f"{REFERENCE}/customers/", f"{ERASURE_AUDIT}/")):
            continue
        area = _area(path)
        if _is_customers_copy(path):
            removed = _drop_rows(lake, path, eraser.customer_id, dry_run=report.dry_run)
            if removed:
                report.changed_files[area] += 1
                report.changed_values[area] += removed
                touched.append(path)
            continue
        if path.startswith(f"{LANDING}/") and _loaded_export(
            lake, path, eraser.customer_id, loaded
        ):
            report.deleted_files[area] += 1
            touched.append(path)
            if not report.dry_run:
                lake.delete(path)
            continue
        changed = eraser.rewrite(lake, path, dry_run=report.dry_run)
        if changed:
            report.changed_files[area] += 1
            report.changed_values[area] += changed
            touched.append(path)
    return touched


def _is_customers_copy(path: str) -> bool:
    """A kept gold run's copy of the customers table (`contract.lake.reference_snapshot_file`)."""
    run_id = path.removeprefix(f"{GOLD_RUNS}/").partition("/")[0]
    return path == reference_snapshot_file(run_id, "customers")


def _drop_rows(lake: LakeFiles, path: str, customer_id: str, *, dry_run: bool) -> int:
    """Remove the customer's rows from a copy of the customers table; how many there were."""
    table = lake.read_parquet(path)
    keep = pc.invert(pc.fill_null(pc.equal(table["customer_id"], customer_id), False))
    removed = int(table.num_rows) - int(pc.sum(keep.cast(pa.int64())).as_py() or 0)
    if removed and not dry_run:
        lake.write_parquet(path, table.filter(keep))
        _drop_local_checksum(lake, path)
    return removed


def _area(path: str) -> str:
    """`bronze/sales_events`, `gold/runs`, `landing/csv`, ...: the first two folders."""
    return "/".join(path.split("/")[:2])


def _loaded_export(lake: LakeFiles, path: str, customer_id: str, loaded: set[str]) -> bool:
    """Whether a landed export names the customer and was loaded already (its rows are in the
    uploads, which the erasure rewrites): then the original goes."""
    data = lake.read_bytes(path)
    if data is None or customer_id.encode() not in data:
        return False
    return hashlib.sha256(data).hexdigest() in loaded


def _local_landing(folder: Path, eraser: _Eraser, loaded: set[str], report: ErasureReport) -> None:
    """The local stack's landing folder (`salesflow up`'s watcher): exports it loaded moved to
    `loaded/`, refused ones to `rejected/`; any that names the customer goes when it was loaded,
    and is rewritten otherwise."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
        data = path.read_bytes()
        if eraser.customer_id.encode() not in data:
            continue
        if hashlib.sha256(data).hexdigest() in loaded or path.parent.name == "loaded":
            report.deleted_files["state/landing"] += 1
            if not report.dry_run:
                path.unlink()
            continue
        text = data.decode("utf-8", errors="surrogateescape")
        updated, changed = eraser.pattern.subn(eraser.pseudonym, text)
        report.changed_files["state/landing"] += 1
        report.changed_values["state/landing"] += changed
        if not report.dry_run:
            path.write_bytes(updated.encode("utf-8", errors="surrogateescape"))


def _reference_rows(lake: LakeFiles, key: str, customer_id: str) -> int:
    rows = 0
    for path in lake.list_files(f"{REFERENCE}/customers"):
        if path.endswith(".parquet") and "/versions/" in path:
            table = lake.read_parquet(path)
            rows += int(pc.sum(pc.fill_null(pc.equal(table[key], customer_id), False)).as_py() or 0)
    return rows


class _Eraser:
    def __init__(self, customer_id: str, pseudonym: str) -> None:
        self.customer_id = customer_id
        self.pseudonym = pseudonym
        self.pattern = re.compile(
            rf"(?<![{IDENTIFIER_CHARACTERS}]){re.escape(customer_id)}(?![{IDENTIFIER_CHARACTERS}])"
        )

    def rewrite(self, lake: LakeFiles, path: str, *, dry_run: bool) -> int:
        """Rewrite one file if it names the customer; how many values changed (0: untouched)."""
        if path.endswith(".parquet"):
            return self._parquet(lake, path, dry_run=dry_run)
        if path.endswith(TEXT_SUFFIXES) or path.startswith(f"{LANDING}/"):
            return self._text(lake, path, dry_run=dry_run)
        return 0

    def _text(self, lake: LakeFiles, path: str, *, dry_run: bool) -> int:
        data = lake.read_bytes(path)
        if data is None or self.customer_id.encode() not in data:
            return 0
        text = data.decode("utf-8", errors="surrogateescape")
        if path.startswith(f"{QUARANTINE}/csv/") and path.endswith(".csv"):
            updated, changed = self._quarantined_rows(text)
        else:
            updated, changed = self.pattern.subn(self.pseudonym, text)
        if changed and not dry_run:
            lake.write_bytes(path, updated.encode("utf-8", errors="surrogateescape"))
        return changed

    def _quarantined_rows(self, text: str) -> tuple[str, int]:
        """A refused row keeps its original cells (`file_line, reason, <cells>, ingested_at,
        source`): a row naming the customer keeps its line, reason and stamp, nothing else."""
        rows = list(csv.reader(io.StringIO(text)))
        changed = 0
        for row in rows[1:]:
            if not any(self.pattern.search(cell) for cell in row):
                continue
            changed += 1
            row[1] = self.pattern.sub(self.pseudonym, row[1])
            for position in range(2, max(2, len(row) - 2)):
                row[position] = ""
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue(), changed

    def _parquet(self, lake: LakeFiles, path: str, *, dry_run: bool) -> int:
        with lake.open_input(path) as stream:
            table = pq.ParquetFile(io.BytesIO(stream.read())).read()
        columns = []
        changed = 0
        matched: pa.Array | None = None
        for name, column in zip(table.column_names, table.columns, strict=True):
            combined = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
            replaced, count = self._array(combined)
            changed += count
            if name == "customer_id" and count:
                matched = pc.fill_null(pc.equal(combined, self.customer_id), False)
            columns.append(replaced)
        if not changed:
            return 0
        if matched is not None:
            columns = [
                pc.if_else(matched, pa.nulls(len(array), array.type), array)
                if PERSONAL_COLUMNS.match(name)
                else array
                for name, array in zip(table.column_names, columns, strict=True)
            ]
        if not dry_run:
            updated = pa.Table.from_arrays(columns, schema=table.schema)
            buffer = io.BytesIO()
            pq.write_table(updated, buffer)
            lake.write_bytes(path, buffer.getvalue())
            _drop_local_checksum(lake, path)
        return changed

    def _array(self, array: pa.Array) -> tuple[pa.Array, int]:
        """`array` with the id replaced at any depth, and how many values were."""
        kind = array.type
        if pa.types.is_dictionary(kind):
            return self._array(array.dictionary_decode())
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return self._strings(array)
        if pa.types.is_struct(kind) or pa.types.is_map(kind):
            return self._nested(array)
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            values, count = self._array(array.values)
            if not count:
                return array, 0
            kind_class = pa.LargeListArray if pa.types.is_large_list(kind) else pa.ListArray
            rebuilt = kind_class.from_arrays(array.offsets, values, mask=array.is_null())
            return rebuilt.cast(kind), count
        return array, 0

    def _nested(self, array: pa.Array) -> tuple[pa.Array, int]:
        """A struct (each field) or a map (its values; keys are attribute names)."""
        kind = array.type
        if pa.types.is_map(kind):
            items, count = self._array(array.items)
            if not count:
                return array, 0
            rebuilt = pa.MapArray.from_arrays(
                array.offsets, array.keys, items, mask=array.is_null()
            )
            return rebuilt.cast(kind), count
        children, count = [], 0
        for index in range(kind.num_fields):
            child, found = self._array(array.field(index))
            children.append(child)
            count += found
        if not count:
            return array, 0
        fields = [kind.field(index) for index in range(kind.num_fields)]
        return pa.StructArray.from_arrays(children, fields=fields, mask=array.is_null()), count

    def _strings(self, array: pa.Array) -> tuple[pa.Array, int]:
        contains = pc.fill_null(pc.match_substring(array, self.customer_id), False)
        if not pc.any(contains).as_py():
            return array, 0
        values = array.to_pylist()
        count = 0
        for index, value in enumerate(values):
            if value is not None and self.customer_id in value:
                updated, found = self.pattern.subn(self.pseudonym, value)
                values[index] = updated
                count += found
        return pa.array(values, type=array.type), count


def _drop_local_checksum(lake: LakeFiles, path: str) -> None:
    """Spark writes `.<name>.crc` beside a local file and checks it on read; the rewritten file
    would fail that check."""
    folder, _, name = path.rpartition("/")
    lake.delete(f"{folder}/.{name}.crc")


def _purge_old_versions(settings: Settings, location: LakeLocation, paths: list[str]) -> int:
    """Delete every version of each object but the current one (all of a deleted object's)."""
    s3 = aws_client(settings, "s3")
    deleted = 0
    for path in paths:
        bucket, _, key = location.path(path).partition("/")
        listing = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key)
        stale = [
            {"Key": entry["Key"], "VersionId": entry["VersionId"]}
            for page in listing
            for entry in (*page.get("Versions", []), *page.get("DeleteMarkers", []))
            if entry["Key"] == key and not (entry.get("IsLatest") and "Size" in entry)
        ]
        for start in range(0, len(stale), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": stale[start : start + 1000]})
        deleted += len(stale)
    return deleted


def _purge_query_results(settings: Settings, eraser: _Eraser, *, dry_run: bool) -> int:
    """Athena result files (and their versions) that name the customer."""
    s3 = aws_client(settings, "s3")
    bucket = settings.athena_results_bucket
    deleted = 0
    listing = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
    for page in listing:
        for entry in page.get("Versions", []):
            body = s3.get_object(Bucket=bucket, Key=entry["Key"], VersionId=entry["VersionId"])
            if not eraser.pattern.search(body["Body"].read().decode("utf-8", errors="replace")):
                continue
            deleted += 1
            if not dry_run:
                s3.delete_object(Bucket=bucket, Key=entry["Key"], VersionId=entry["VersionId"])
    return deleted


def describe(report: ErasureReport) -> str:
    """The summary the command prints (no id)."""
    verb = "would change" if report.dry_run else "changed"
    lines = [f"erasure {report.request_id}: the customer is now {report.pseudonym}"]
    for area in sorted(set(report.changed_files) | set(report.deleted_files)):
        lines.append(
            f"  {area}: {verb} {report.changed_files[area]} files "
            f"({report.changed_values[area]} values), deleted {report.deleted_files[area]}"
        )
    lines.append(f"  reference customers: {report.reference_rows_removed} rows removed")
    lines.append(f"  earlier object versions deleted: {report.object_versions_deleted}")
    lines.append(f"  profile store items deleted: {report.profile_items_deleted}")
    lines.append(f"  Athena query results deleted: {report.query_results_deleted}")
    if not report.dry_run:
        lines.append(f"  recorded in {ERASURE_AUDIT}/{report.request_id}.json")
    return "\n".join(lines)
