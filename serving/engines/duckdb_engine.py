"""DuckDB as the local Athena: the same DDL and views, on the lake's Parquet and CSV files.

Tables become DuckDB views over `read_parquet`/`read_csv` built from the parsed Hive DDL; the
Athena views and every query are transpiled by sqlglot, never rewritten by hand. Parquet
timestamps are UTC instants, which Athena reads as `timestamp` in a UTC session; DuckDB keeps
them as TIMESTAMPTZ in a UTC session so `AT TIME ZONE` converts instants the same way in both.

One local difference, for speed: `sales_realtime_unbatched` (dedup, explode and quality rules
over every line since T, minus the events gold holds) is installed under a `_live` name and
materialized into a table of its own name, computed from the bronze and CSV files of the
refresh's listing (never their globs, which may have grown since) and gold's sales of the view's
window, read once per published run. New files are merged into it
file by file, a compaction of files it holds changes nothing, and a published run or a reference
load rebuilds it (`duckdb_realtime`, `realtime_listing`).
Dashboard queries then read a small table instead of recomputing the real-time side and its
lookup of gold's sales each time; the SQL is still the Athena views'.

Every table's view names its files, so no question lists the lake: the published run's tables
those of its folders and manifests, listed once when the run is installed; bronze since T's UTC
date, the CSV uploads and the reference tables those of the refresh's listing, which re-creates
their views whenever it changes.

The lake is a local folder or `s3://` (`duckdb_lake`: DuckDB reads S3 through the lake's own
filesystem). Which files exist is asked of the same filesystem that reads them: the run's globs
and manifests through DuckDB, the refresh's listing through `contract.lake_io`.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from contract.compaction_lineage import compacted_inputs
from contract.lake import (
    MANIFEST_FILE,
    manifest_lines,
)
from contract.lake_io import LakeFiles
from contract.reference import REFERENCE_TABLES
from contract.settings import Settings
from serving.engines.base import QueryFailedError, QueryResult
from serving.engines.duckdb_lake import attach_lake
from serving.engines.duckdb_realtime import (
    DISCARD_DELTA,
    LIVE_REALTIME_VIEW,
    REALTIME_VIEW,
    delta_merge_statements,
    delta_prepare_statements,
    full_statements,
    gold_sales_statement,
    preceding_copies_sql,
)
from serving.engines.realtime_listing import (
    CompactionLineage,
    Listing,
    files_to_merge,
    realtime_files,
    source_files,
    table_files,
)
from serving.engines.shared_refresh import SharedRefresh
from serving.published_run import PublishedRun, read_published_run
from serving.sql_files import (
    ATHENA_DIALECT,
    PUBLISHED_TABLES,
    table_statements,
    view_statements,
)
from serving.table_definition import Column, TableDefinition

logger = logging.getLogger(__name__)

DUCKDB_DIALECT = "duckdb"
SCHEMA_FILE_PARTITION_VALUES = {
    "ingest_date": "1970-01-01",
    "ingest_hour": "00",
    "sale_date": "1970-01-01",
}
"""Where a table's schema file sits in its partition layout: a day no query ever asks for."""


TRINO_FUNCTIONS = (
    "CREATE MACRO at_timezone(instant, zone) AS timezone(zone, CAST(instant AS TIMESTAMPTZ))",
)
"""Trino functions the serving SQL uses that sqlglot passes through as they are: `at_timezone`
(an instant's wall time in a zone given by a column, which `AT TIME ZONE` cannot take)."""


def athena_session(database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A connection that runs the serving SQL once transpiled as Athena runs it: a UTC session
    (timestamps are UTC instants) with the Trino functions of TRINO_FUNCTIONS; its tables in
    memory, or in the file `database`."""
    connection = duckdb.connect(database)
    connection.execute("SET TimeZone = 'UTC'")
    for statement in TRINO_FUNCTIONS:
        connection.execute(statement)
    return connection


class DuckDBEngine:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lake = LakeFiles.open(settings.lake_uri, settings)
        _remove_database(settings.serving_database)
        self._connection = athena_session(settings.serving_database or ":memory:")
        if settings.serving_memory_limit:
            limit = _literal(settings.serving_memory_limit)
            self._connection.execute(f"SET memory_limit = {limit}")
        attach_lake(self._connection, self._lake)
        self._lock = threading.Lock()
        self._served: PublishedRun | None = None
        self._realtime_files: Listing = frozenset()
        self._lineage = CompactionLineage(self._compacted_inputs)
        self._schema_files = Path(tempfile.mkdtemp(prefix="salesflow-duckdb-schemas-"))
        self._views: dict[str, str] = {}
        self._tables: dict[str, TableDefinition] = {}
        self._version = 0
        self._shared_refresh = SharedRefresh(self._refresh_now)

    @property
    def version(self) -> int:
        return self._version

    def refresh(self) -> PublishedRun:
        """Shared by the callers that asked while one was pending (`shared_refresh`)."""
        return self._shared_refresh()

    def _refresh_now(self) -> PublishedRun:
        run = read_published_run(self._settings)
        with self._lock:
            if self._served is None or run.publication != self._served.publication:
                first = self._served is None
                self._install(run)
                if not first:
                    self._version += 1
                return run
            files = realtime_files(run, self._lake)
            if files != self._realtime_files:
                if self._update_realtime(run, files):
                    self._version += 1
                self._realtime_files = files
                self._lineage.keep_only(uri for uri, _, _ in files)
            return run

    def query(self, sql: str) -> QueryResult:
        if self._served is None:
            self.refresh()
        statement = transpile(sql)
        cursor = self._connection.cursor()
        try:
            table = cursor.sql(statement).to_arrow_table()
        except duckdb.Error as error:
            raise QueryFailedError(f"DuckDB failed the query: {error}") from error
        finally:
            cursor.close()
        return QueryResult(columns=tuple(table.column_names), rows=table.to_pylist())

    def close(self) -> None:
        """Close once no refresh is running (the background refresher's may outlive its task)."""
        with self._lock:
            self._connection.close()
        shutil.rmtree(self._schema_files, ignore_errors=True)
        _remove_database(self._settings.serving_database)

    def _install(self, run: PublishedRun) -> None:
        """Map every table, create every view and materialize the real-time lines in one
        transaction: queries see the old run or the new one, never a mix."""
        parameters = run.sql_parameters(self._settings)
        tables = [TableDefinition.parse(s) for s in table_statements(parameters).values()]
        run_files = {t.name: self._run_files(t) for t in tables if t.name in PUBLISHED_TABLES}
        inputs = realtime_files(run, self._lake)
        views = view_statements(parameters)
        by_name = {t.name: t for t in tables}
        statements = [
            table_view(t, schema_file=self._schema_file(t), files=run_files[t.name])
            for t in tables
            if t.name in run_files
        ]
        statements += self._listed_views(run, by_name, inputs)
        statements += [_copy_reference(t.name) for t in tables if t.name in REFERENCE_TABLES]
        for name, statement in views.items():
            if name == REALTIME_VIEW:
                statements += [
                    transpile(statement, rename=LIVE_REALTIME_VIEW),
                    gold_sales_statement(views),
                    *full_statements(
                        views, by_name, source_files(run, _uris(inputs)), self._source_view
                    ),
                ]
            else:
                statements.append(transpile(statement))
        self._transaction(statements)
        self._served = run
        self._realtime_files = inputs
        self._views = views
        self._tables = by_name
        logger.info(
            "serving views installed",
            extra={"run_id": run.run_id, "cutoff": run.cutoff.isoformat()},
        )

    def _update_realtime(self, run: PublishedRun, files: Listing) -> bool:
        """Merge only the new files when nothing else changed; otherwise rebuild in full. The
        merge computes the new files' lines aside and swaps them in, in one transaction. False
        when the side's content cannot have changed (a compaction of files it holds)."""
        new = files_to_merge(run, self._realtime_files, files, self._lineage)
        if new is None:
            self._rebuild(run, files, "a file the side holds changed, or T or a reference did")
            return True
        listed = self._listed_views(run, self._tables, files)
        if not new.bronze and not new.csv:
            self._transaction(listed)
            return False
        self._transaction(
            delta_prepare_statements(self._views, self._tables, new, self._source_view)
        )
        if self._count(preceding_copies_sql()):
            self._rebuild(run, files, "a new copy precedes a stored one of its id", *DISCARD_DELTA)
            return True
        self._transaction([*delta_merge_statements(self._views), *listed])
        return True

    def _rebuild(self, run: PublishedRun, files: Listing, why: str, *first: str) -> None:
        """The side from every listed file, after the statements `first` (in one transaction)."""
        logger.info("real-time side rebuilt", extra={"files": len(files), "why": why})
        sources = source_files(run, _uris(files))
        references = [_copy_reference(name) for name in self._tables if name in REFERENCE_TABLES]
        self._transaction(
            [
                *first,
                *self._listed_views(run, self._tables, files),
                *references,
                *full_statements(self._views, self._tables, sources, self._source_view),
            ]
        )

    def _count(self, query: str) -> int:
        cursor = self._connection.cursor()
        try:
            row = cursor.execute(query).fetchone()
        finally:
            cursor.close()
        return int(row[0]) if row else 0

    def _compacted_inputs(self, uri: str) -> tuple[str, ...] | None:
        inputs = compacted_inputs(self._lake, self._lake.relative_of(uri))
        return None if inputs is None else tuple(self._lake.uri_of(path) for path in inputs)

    def _source_view(self, table: TableDefinition, paths: tuple[str, ...], name: str) -> str:
        """A view `name` of a real-time source table over `paths` alone: the side reads the
        files its refresh listed, not whatever the table's glob matches by then."""
        return table_view(table, schema_file=self._schema_file(table), files=paths, name=name)

    def _listed_views(
        self, run: PublishedRun, tables: dict[str, TableDefinition], files: Listing
    ) -> list[str]:
        """The views of the tables a refresh lists, over the files it listed: the real-time
        sources (bronze from T's UTC date on, which is all any question reads of it) and the
        reference tables' files (`_lake_view`, which `_copy_reference` copies from). Naming the
        files spares every question that reads them a listing of S3 (the newest landed event's
        a LIST per hour folder since T), and a table that gains its first files needs no glob
        of its folder on every refresh: the next listing shows them."""
        return [
            table_view(
                tables[name],
                schema_file=self._schema_file(tables[name]),
                files=paths,
                name=_lake_view(name) if name in REFERENCE_TABLES else None,
            )
            for name, paths in table_files(run, _uris(files)).items()
        ]

    def _glob(self, pattern: str) -> list[str]:
        """The files matching `pattern`, listed by the filesystem DuckDB reads them with."""
        cursor = self._connection.cursor()
        try:
            return [
                row[0] for row in cursor.execute("SELECT file FROM glob(?)", [pattern]).fetchall()
            ]
        finally:
            cursor.close()

    def _run_files(self, table: TableDefinition) -> tuple[str, ...]:
        """The files of a table the published run holds, listed once when the run is installed:
        a run's tables never change, so the views name their files instead of globbing the
        run's folders on every query (a LIST of S3 each time). A symlink table's are those its
        manifests list (one path or URI per line), as Athena reads them: a state's days may live
        in the folders of the runs that wrote them. () for a table the run does not hold."""
        if table.storage != "parquet_manifest":
            return tuple(sorted(self._glob(_file_pattern(table))))
        manifests = sorted(self._glob(_file_pattern(table)))
        if not manifests:
            return ()
        cursor = self._connection.cursor()
        try:
            contents = cursor.execute(
                "SELECT filename, content FROM read_text(?) ORDER BY filename", [manifests]
            ).fetchall()
        finally:
            cursor.close()
        return tuple(
            line
            for manifest, content in contents
            for line in manifest_lines(content, manifest.rpartition("/")[0])
        )

    def _schema_file(self, table: TableDefinition) -> str | None:
        """An empty Parquet file with every column of the table's DDL, read together with the
        lake's files (`union_by_name`): files written before a column was added to the contract
        then read it as NULL instead of failing the view. None for CSV tables."""
        if table.storage == "csv":
            return None
        folder = self._schema_files / table.name
        for column in table.partition_columns:
            folder = folder / f"{column.name}={SCHEMA_FILE_PARTITION_VALUES[column.name]}"
        path = folder / "_schema.parquet"
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            columns = ", ".join(
                f"CAST(NULL AS {_duckdb_type(c)}) AS {_quoted(c.name)}" for c in table.columns
            )
            self._connection.execute(
                f"COPY (SELECT {columns} WHERE false) TO {_literal(str(path))} (FORMAT parquet)"
            )
        return str(path)

    def _transaction(self, statements: list[str]) -> None:
        cursor = self._connection.cursor()
        try:
            cursor.execute("BEGIN TRANSACTION")
            for statement in statements:
                cursor.execute(statement)
            cursor.execute("COMMIT")
        except duckdb.Error as error:
            cursor.execute("ROLLBACK")
            raise QueryFailedError(f"DuckDB could not create the serving views: {error}") from error
        finally:
            cursor.close()


def _lake_view(table: str) -> str:
    """The view over a reference table's files, which `_copy_reference` copies from."""
    return f"_lake_{table}"


def _copy_reference(table: str) -> str:
    """A reference table as a table of the engine, copied from its files when a run is installed
    and whenever the side is rebuilt (a reference load among the reasons): every query and every
    merge joins the reference tables, and reading their files each time was a listing and a
    read of each file from S3 per query."""
    return f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM "{_lake_view(table)}"'


def _remove_database(path: str) -> None:
    """Remove the engine's database file and what DuckDB keeps beside it (its write-ahead log,
    its spill folder), and make its folder: the file only ever holds what one engine computed,
    so an engine starts without what an earlier process left and leaves nothing when it closes.
    Nothing to do for an engine in memory (`path` empty)."""
    if not path:
        return
    database = Path(path)
    for leftover in (database, database.with_name(f"{database.name}.wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(database.with_name(f"{database.name}.tmp"), ignore_errors=True)
    database.parent.mkdir(parents=True, exist_ok=True)


def transpile(sql: str, *, rename: str | None = None) -> str:
    """One Athena-dialect statement in DuckDB's dialect; `rename` renames what it creates."""
    try:
        statements = sqlglot.parse(sql, read=ATHENA_DIALECT)
    except sqlglot.errors.ParseError as error:
        raise QueryFailedError(f"not valid Athena SQL: {error}") from error
    if len(statements) != 1 or statements[0] is None:
        raise QueryFailedError(f"expected exactly one SQL statement, got {len(statements)}")
    statement = statements[0]
    if rename is not None:
        statement.this.replace(exp.to_table(rename))
    return statement.sql(DUCKDB_DIALECT)


def _uris(files: Listing) -> list[str]:
    return [uri for uri, _, _ in files]


def table_view(
    table: TableDefinition,
    *,
    files: tuple[str, ...],
    schema_file: str | None = None,
    name: str | None = None,
) -> str:
    """The DuckDB rendition of an Athena table: a view over `files` with the DDL's types.

    No files make an empty relation of the same shape, so the views over a table without files
    yet work before the first event lands or the first batch run publishes. `schema_file` (an
    empty Parquet file of the DDL's columns) is read with the files, so columns missing from
    older files read as NULL, as Athena reads them. `name` names the view otherwise (the
    real-time side's `_delta_` views, the reference tables' `_lake_` views).
    """
    view = _quoted(name or table.name)
    if not files:
        columns = ", ".join(
            f"CAST(NULL AS {_duckdb_type(c)}) AS {_quoted(c.name)}" for c in table.all_columns
        )
        return f"CREATE OR REPLACE VIEW {view} AS SELECT {columns} WHERE false"
    columns = ", ".join(
        [
            f"CAST({_quoted(c.name)} AS {_duckdb_type(c)}) AS {_quoted(c.name)}"
            for c in table.columns
        ]
        + [_quoted(c.name) for c in table.partition_columns]
    )
    return (
        f"CREATE OR REPLACE VIEW {view} AS SELECT {columns} FROM {_scan(table, schema_file, files)}"
    )


def _scan(table: TableDefinition, schema_file: str | None, files: tuple[str, ...]) -> str:
    sources = [_literal(path) for path in files]
    if schema_file is not None:
        sources.insert(0, _literal(schema_file))
    pattern = sources[0] if len(sources) == 1 else f"[{', '.join(sources)}]"
    if table.storage == "csv":
        header = table.properties.get("skip.header.line.count", "0") == "1"
        delimiter = _literal(table.serde_properties.get("separatorChar", ","))
        quote = _literal(table.serde_properties.get("quoteChar", '"'))
        return (
            f"read_csv({pattern}, header = {str(header).lower()}, all_varchar = true, "
            f"delim = {delimiter}, quote = {quote}, union_by_name = true)"
        )
    if not table.partition_columns:
        return f"read_parquet({pattern}, union_by_name = true)"
    hive_types = ", ".join(
        f"{_literal(c.name)}: {_literal(_duckdb_type(c))}" for c in table.partition_columns
    )
    return (
        f"read_parquet({pattern}, hive_partitioning = true, hive_types = {{{hive_types}}}, "
        "union_by_name = true)"
    )


def _file_pattern(table: TableDefinition) -> str:
    levels = "/*" * len(table.partition_columns)
    if table.storage == "parquet_manifest":
        return f"{table.location}{levels}/{MANIFEST_FILE}"
    suffix = "csv" if table.storage == "csv" else "parquet"
    return f"{table.location}{levels}/*.{suffix}"


def _duckdb_type(column: Column) -> str:
    """Athena's `timestamp` over our UTC Parquet instants is TIMESTAMPTZ in a UTC DuckDB session."""
    if column.data_type.is_type(exp.DataType.Type.TIMESTAMP):
        return "TIMESTAMPTZ"
    return column.data_type.sql(DUCKDB_DIALECT)


def _quoted(identifier: str) -> str:
    return exp.to_identifier(identifier, quoted=True).sql(DUCKDB_DIALECT)


def _literal(value: str) -> str:
    return exp.Literal.string(value).sql(DUCKDB_DIALECT)
