"""Where everything lives in the lake, relative to its root, and how to open that root.

The root is a URI: a local folder (`.salesflow/lake`, `/data/lake`) or `s3://bucket/prefix`.
Every layer builds paths with these helpers so the layout is defined once.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import pyarrow.fs as pafs

BRONZE_EVENTS = "bronze/sales_events"
QUARANTINE = "bronze/_quarantine"
CSV_UPLOADS = "bronze/csv_uploads"
CSV_LOADS = "bronze/csv_loads"
"""One record per loaded CSV export, `<sha256>.json`, written last: the load finished."""
CSV_STAGING = "bronze/_staging/csv"
"""Parts of CSV loads in progress, before they move to CSV_UPLOADS; no reader looks here."""
CSV_PENDING = "bronze/csv_pending"
"""Requests to load a landed CSV export too large for the Lambda, served by the nightly job."""
CSV_MAPPINGS = "config/mappings"
"""`<name>.toml`: the mapping a landed export in `landing/csv/<name>/` is read with."""
REFERENCE = "reference"
RECONCILIATION_REPORTS = "reconciliation/reports"
"""The tills' end-of-day reports, every version kept: `business_date=/store_id=/<scope>/<v>.json`
(`contract.reconciliation`)."""
RECONCILIATION_RESULTS = "reconciliation/results"
"""Each change of a report's comparison with the merged view, as the serving layer found it."""
SILVER = "silver"
GOLD_RUNS = "gold/runs"
PUBLISHED_POINTER = "gold/_published.json"
ERASURE_AUDIT = "audit/erasures"
"""`<request_id>.json` per personal data erasure: what was done, when, never whose data."""
LANDING = "landing"
"""Where exports land before they are loaded (the CSV Lambda's prefix is under it)."""


def bronze_partition(ingested_at: datetime) -> str:
    """`bronze/sales_events/ingest_date=YYYY-MM-DD/ingest_hour=HH`, in UTC."""
    utc = ingested_at.astimezone(UTC)
    return f"{BRONZE_EVENTS}/ingest_date={utc:%Y-%m-%d}/ingest_hour={utc:%H}"


def reference_effective(table: str) -> str:
    """The effective (SCD type-2) table every engine reads: `reference/<table>/effective`."""
    return f"{REFERENCE}/{table}/effective"


def reference_effective_file(table: str) -> str:
    """The one file of a table's effective table, rewritten whole by every load, rollback and
    erasure: `reference/<table>/effective/<table>.parquet`."""
    return f"{reference_effective(table)}/{table}.parquet"


def reference_version_file(table: str, version: int) -> str:
    """One loaded version, as validated: `reference/<table>/versions/v000001.parquet`."""
    return f"{REFERENCE}/{table}/versions/v{version:06d}.parquet"


def reference_manifest(table: str) -> str:
    """The list of a table's versions and which are in force: `reference/<table>/_versions.json`."""
    return f"{REFERENCE}/{table}/_versions.json"


def gold_run(run_id: str) -> str:
    return f"{GOLD_RUNS}/{run_id}"


REFERENCE_SNAPSHOT = "_reference"
"""`gold/runs/<run_id>/_reference/<table>.parquet`: the effective reference tables a run joined,
kept to tell what changed by the next run (ADR 0018)."""


def reference_snapshot_file(run_id: str, table: str) -> str:
    return f"{gold_run(run_id)}/{REFERENCE_SNAPSHOT}/{table}.parquet"


SILVER_RUNS = f"{SILVER}/runs"


def silver_run(run_id: str) -> str:
    """What one batch run added to silver: `silver/runs/<run_id>/`, holding `lines/` (the new
    events' typed, deduplicated sale lines, by `occurred_date`, the UTC date of `occurred_at`) and
    `event_ids/` (their event ids, the index the next runs deduplicate against). A run's part
    counts only once a publication lists it (`contract.publication.Publication.silver_runs`)."""
    return f"{SILVER_RUNS}/{run_id}"


MANIFEST_FILE = "manifest"
"""The file in each partition folder of a symlink table that lists its data files."""


def manifest_lines(content: str, manifest_folder: str) -> list[str]:
    """The data files a manifest lists, as paths or URIs a reader can open.

    An S3 lake's manifests hold full URIs, as Athena's symlink tables read them; a local lake's
    hold paths relative to the manifest's folder, so the lake can be moved or copied and stay
    readable. Every reader of a manifest (the batch job, the DuckDB engine, the tools and tests)
    resolves its lines here."""
    return [
        line
        if "://" in line or line.startswith("/")
        else posixpath.normpath(posixpath.join(manifest_folder, line))
        for line in content.splitlines()
        if line
    ]


def sales_wide_manifest(run_id: str) -> str:
    """A run's view of every `sales_wide` day: `sale_date=D/manifest`, the URIs of that day's
    files, which an earlier run may have written (Athena's symlink input format; ADR 0018)."""
    return f"{gold_run(run_id)}/sales_wide_manifest"


@dataclass(frozen=True)
class LakeLocation:
    """A parsed lake URI: a local folder, or an S3 bucket and key prefix."""

    scheme: str
    root: str

    @classmethod
    def parse(cls, uri: str) -> LakeLocation:
        parsed = urlparse(uri)
        if parsed.scheme == "s3":
            if not parsed.netloc:
                raise ValueError(f"lake URI {uri!r} names no bucket; use s3://bucket/prefix")
            return cls("s3", f"{parsed.netloc}/{parsed.path.strip('/')}".rstrip("/"))
        if parsed.scheme in ("", "file"):
            local = parsed.path if parsed.scheme == "file" else uri
            return cls("file", str(Path(local).expanduser().resolve()))
        raise ValueError(f"lake URI {uri!r}: use a local folder or s3://bucket/prefix")

    @property
    def uri(self) -> str:
        return f"s3://{self.root}" if self.scheme == "s3" else self.root

    def path(self, relative: str) -> str:
        """A path inside the lake, as the filesystem from `filesystem()` expects it."""
        return f"{self.root}/{relative.strip('/')}" if relative else self.root

    def uri_of(self, relative: str) -> str:
        """A full URI inside the lake (`s3://...` or an absolute local path), for engines."""
        return f"s3://{self.path(relative)}" if self.scheme == "s3" else self.path(relative)

    def relative_of(self, uri: str) -> str:
        """The inverse of `uri_of` for a URI inside the lake."""
        root = self.uri_of("")
        if not uri.startswith(f"{root}/"):
            raise ValueError(f"{uri} is not inside the lake {root}")
        return uri.removeprefix(f"{root}/")

    def filesystem(self, *, s3_endpoint_url: str | None, region: str) -> pafs.FileSystem:
        if self.scheme == "s3":
            return pafs.S3FileSystem(
                region=region,
                endpoint_override=s3_endpoint_url,
                scheme=urlparse(s3_endpoint_url).scheme if s3_endpoint_url else "https",
            )
        return pafs.LocalFileSystem()
