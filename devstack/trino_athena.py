"""Athena's side of the serving layer replayed on a real Trino (Athena engine v3's engine).

`AthenaEngine` talks to Glue and Athena on the moto server, which records what it is sent but
runs no SQL. This module carries exactly that into Trino: each Glue table `CatalogSync` created
becomes the same table in the Hive connector's file metastore (same columns, partition keys,
input/output formats, SerDe and table parameters, projection included), and each statement
`AthenaStatements` started becomes a Trino statement in the same order. Query results come back
as Athena renders them (every value as text, the column's type name without its precision) and
are typed by the Athena engine's own `typed_rows`, with the query's statistics when asked
(`trino_query`: the bytes it read from storage, what Athena bills).

`athena_trino` starts the server with the Hive catalog over the moto server's S3; `RecordingEngine`
wraps a local engine to keep every SQL text the query API sent it, the texts `AthenaEngine` sends
Athena. The Athena SQL test (tests/integration/serving/test_athena_sql_on_trino.py) and the scan
benchmark (`python -m bench.athena_scan`) share them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contract.aws import aws_client
from contract.lake import MANIFEST_FILE, manifest_lines
from contract.settings import Settings
from devstack.local_servers import FAKE_CREDENTIALS
from devstack.trino import StatementStats, TrinoServer, run_statement, trino_server
from serving.engines.athena_results import typed_rows
from serving.engines.base import QueryEngine, QueryResult
from serving.published_run import PublishedRun

CATALOG = "awsdatacatalog"
"""Athena's name for the Glue Data Catalog, so the views' stored SQL names the same catalog."""
METASTORE_BUCKET = "trino-metastore"
TRINO_VERSION = "476"


def hive_catalog(moto_endpoint: str) -> dict[str, str]:
    """The Hive connector on a file metastore in the moto server's S3, reading the lake through
    Trino's native S3 filesystem with the emulator's endpoint, path-style addressing and the fake
    credentials. Partition projection is on (Trino's default), as in Athena. Listings are kept
    for the session: each test's lake is written before its tables exist and never changes."""
    return {
        "connector.name": "hive",
        "hive.metastore": "file",
        "hive.metastore.catalog.dir": f"s3://{METASTORE_BUCKET}/",
        "hive.partition-projection-enabled": "true",
        "hive.file-status-cache-tables": "*",
        "hive.file-status-cache-expire-time": "30m",
        "fs.native-s3.enabled": "true",
        "s3.endpoint": moto_endpoint,
        "s3.region": FAKE_CREDENTIALS["AWS_DEFAULT_REGION"],
        "s3.path-style-access": "true",
        "s3.aws-access-key": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "s3.aws-secret-key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


def create_athena_resources(settings: Settings, *, lake_bucket: bool = True) -> None:
    """The results bucket and the workgroup Terraform makes, and the lake bucket unless the
    lake is kept in a folder."""
    s3 = aws_client(settings, "s3")
    if lake_bucket:
        s3.create_bucket(Bucket=settings.lake_bucket)
    s3.create_bucket(Bucket=settings.athena_results_bucket)
    aws_client(settings, "athena").create_work_group(Name=settings.athena_workgroup)


@contextmanager
def athena_trino(
    moto_endpoint: str,
    work_dir: Path,
    *,
    heap: str = "1G",
    query_memory: str = "384MB",
    catalog_properties: Mapping[str, str] | None = None,
) -> Iterator[TrinoServer]:
    """A Trino with the Hive catalog (`CATALOG`) over the moto server's S3, its file metastore
    in a bucket of its own (made here when missing), `catalog_properties` added to it; stopped
    on exit. Raises what `trino_server` raises when the bundle or a Java to run it is missing."""
    s3 = aws_client(Settings(aws_endpoint_url=moto_endpoint), "s3")
    if METASTORE_BUCKET not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=METASTORE_BUCKET)
    with trino_server(
        {CATALOG: {**hive_catalog(moto_endpoint), **(catalog_properties or {})}},
        work_dir,
        heap=heap,
        query_memory=query_memory,
    ) as server:
        yield server


def upload_lake(settings: Settings, local_lake: Path, prefix: str) -> None:
    """Copy a local lake into `s3://<lake bucket>/<prefix>/`, each `sales_wide` manifest
    rewritten from paths relative to its folder to full URIs: what the batch job writes on an
    S3 lake (`contract.lake.manifest_lines`) and Athena's symlink tables read."""
    s3 = aws_client(settings, "s3")
    root = f"s3://{settings.lake_bucket}/{prefix}"
    for path in sorted(p for p in local_lake.rglob("*") if p.is_file()):
        key = f"{prefix}/{path.relative_to(local_lake).as_posix()}"
        body = path.read_bytes()
        if path.name == MANIFEST_FILE:
            files = manifest_lines(body.decode(), path.parent.as_posix())
            body = "".join(
                f"{root}/{Path(file).relative_to(local_lake).as_posix()}\n" for file in files
            ).encode()
        s3.put_object(Bucket=settings.lake_bucket, Key=key, Body=body)


def install_catalog(server: TrinoServer, settings: Settings) -> None:
    """Mirror the Glue database the Athena engine filled into Trino, then run every statement
    it sent to Athena (the views, in dependency order), in the database's schema."""
    database = settings.glue_database
    trino_sql(server, f"CREATE SCHEMA IF NOT EXISTS {CATALOG}.{database}", schema="default")
    glue = aws_client(settings, "glue")
    s3 = aws_client(settings, "s3")
    for table in glue.get_tables(DatabaseName=database)["TableList"]:
        s3.put_object(
            Bucket=METASTORE_BUCKET,
            Key=f"{database}/{table['Name']}/.trinoSchema",
            Body=json.dumps(file_metastore_table(table)).encode(),
        )
    for statement in athena_statements(settings):
        trino_sql(server, statement, schema=database)


def file_metastore_table(glue_table: Mapping[str, Any]) -> dict[str, Any]:
    """A Glue table as Trino's file metastore stores one (`<schema>/<table>/.trinoSchema`)."""
    storage = glue_table["StorageDescriptor"]
    serde = storage["SerdeInfo"]
    return {
        "writerVersion": TRINO_VERSION,
        "owner": "salesflow",
        "tableType": glue_table["TableType"],
        "dataColumns": [_column(c) for c in storage["Columns"]],
        "partitionColumns": [_column(c) for c in glue_table.get("PartitionKeys", [])],
        "parameters": glue_table.get("Parameters", {}),
        "originalStorageFormat": {
            "serde": serde["SerializationLibrary"],
            "inputFormat": storage["InputFormat"],
            "outputFormat": storage["OutputFormat"],
        },
        "serdeParameters": serde.get("Parameters", {}),
        "externalLocation": storage["Location"],
        "columnStatistics": {},
    }


def _column(column: Mapping[str, str]) -> dict[str, Any]:
    return {"name": column["Name"], "type": column["Type"], "properties": {}}


def athena_statements(settings: Settings) -> list[str]:
    """Every statement started in the workgroup, oldest first, as Athena received it."""
    athena = aws_client(settings, "athena")
    ids = athena.list_query_executions(WorkGroup=settings.athena_workgroup)["QueryExecutionIds"]
    return [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids]


def trino_sql(server: TrinoServer, sql: str, *, schema: str) -> QueryResult:
    """Run `sql` and type its rows as the Athena engine types GetQueryResults' pages."""
    result, _ = trino_query(server, sql, schema=schema)
    return result


def trino_query(
    server: TrinoServer, sql: str, *, schema: str
) -> tuple[QueryResult, StatementStats]:
    """`trino_sql`, with the query's final statistics (`physical_input_bytes`: data scanned)."""
    statement = run_statement(server, sql, catalog=CATALOG, schema=schema)
    column_info = [
        {"Name": column["name"], "Type": column["typeSignature"]["rawType"]}
        for column in statement.columns
    ]
    page = [{"Data": [_cell(value) for value in row]} for row in statement.rows]
    names, typed = typed_rows(column_info, [page], has_header=False)
    return QueryResult(columns=names, rows=typed), statement.stats


@dataclass
class RecordingEngine:
    """A query engine (the DuckDB one, on a local copy of the lake) that keeps each SQL text the
    query API sent it, with the rows it answered: the texts `AthenaEngine` would send Athena,
    which builds none of its own (the service renders the SQL, both engines run it)."""

    engine: QueryEngine
    answered: list[tuple[str, QueryResult]]

    def refresh(self) -> PublishedRun:
        return self.engine.refresh()

    @property
    def version(self) -> int:
        return self.engine.version

    def query(self, sql: str) -> QueryResult:
        result = self.engine.query(sql)
        self.answered.append((sql, copy.deepcopy(result)))  # the service pops keys off rows
        return result

    def close(self) -> None:
        self.engine.close()


def _cell(value: Any) -> dict[str, str]:
    """One value as Athena's VarCharValue: absent for NULL, text otherwise."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"VarCharValue": "true" if value else "false"}
    if isinstance(value, list | dict):
        return {"VarCharValue": json.dumps(value)}
    return {"VarCharValue": str(value)}
