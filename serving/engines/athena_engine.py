"""Athena as the serving engine: queries through StartQueryExecution, and on every change of
`gold/_published.json` the catalog moved to the new run before the next answer.

The catalog move (tables re-pointed, then views re-created with the new T) is
`serving.catalog_sync`, the same code the batch job runs after it published (docs/adr/0008).
"""

from __future__ import annotations

import threading

from contract.aws import aws_client
from contract.settings import Settings
from serving.catalog_sync import CatalogSync
from serving.engines.athena_results import typed_rows
from serving.engines.athena_statements import AthenaStatements
from serving.engines.base import QueryResult
from serving.engines.shared_refresh import SharedRefresh
from serving.published_run import PublishedRun, read_published_run


class AthenaEngine:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._athena = aws_client(settings, "athena")
        self._glue = aws_client(settings, "glue")
        self._statements = AthenaStatements(settings, self._athena)
        self._catalog = CatalogSync(settings, self._glue, self._statements)
        self._lock = threading.Lock()
        self._served: PublishedRun | None = None
        self._version = 0
        self._shared_refresh = SharedRefresh(self._refresh_now)

    @property
    def version(self) -> int:
        """Changes with the run only: Athena reads the real-time files at query time, so
        answers on Athena age by the cache's TTL alone."""
        return self._version

    def refresh(self) -> PublishedRun:
        """Shared by the callers that asked while one was pending (`shared_refresh`)."""
        return self._shared_refresh()

    def _refresh_now(self) -> PublishedRun:
        run = read_published_run(self._settings)
        with self._lock:
            if self._served is None or run.publication != self._served.publication:
                first = self._served is None
                self._catalog.install(run)
                self._served = run
                if not first:
                    self._version += 1
            return run

    def query(self, sql: str) -> QueryResult:
        if self._served is None:
            self.refresh()
        execution_id = self._statements.run(sql)
        paginator = self._athena.get_paginator("get_query_results")
        pages = [page["ResultSet"] for page in paginator.paginate(QueryExecutionId=execution_id)]
        column_info = pages[0]["ResultSetMetadata"]["ColumnInfo"] if pages else []
        columns, rows = typed_rows(column_info, [p["Rows"] for p in pages], has_header=True)
        return QueryResult(columns=columns, rows=rows)

    def execute(self, statement: str) -> None:
        """Run a statement without a result set (DDL), waiting until it succeeded."""
        self._statements.run(statement)

    def close(self) -> None:
        self._athena.close()
        self._glue.close()
