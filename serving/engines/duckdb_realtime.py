"""The local engine's materialized real-time side, kept up to date file by file.

`sales_realtime_unbatched` (dedup, explode, reference joins and quality rules over every line
since T, minus the events gold holds) is materialized into a table of that name. Recomputing it
whenever a file lands costs time in proportion to the whole day; instead, when the only change
since the last refresh is new bronze or CSV files, the same Athena views are rendered over just
the new files (`_delta_*` names) and merged in:

- `realtime_event_copies` holds, for every event seen since T, the copy that won (the view's
  own `first_copies`: first `ingested_at`, then smaller `source`, then bronze before CSV);
- a new copy that beats the stored winner, or an event not seen before, replaces that event's
  lines and its winner; any other new copy is a duplicate and changes nothing.

Anything else (a file rewritten or removed by compaction, a reference load, a published run
moving T) rebuilds the side in full, as before. Both paths run the same view SQL, so they give
the same rows; a test drives random sequences of both and compares.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from serving.sql_files import ATHENA_DIALECT
from serving.table_definition import TableDefinition

DUCKDB_DIALECT = "duckdb"
REALTIME_VIEW = "sales_realtime_unbatched"
LIVE_REALTIME_VIEW = f"{REALTIME_VIEW}_live"
COPIES_TABLE = "realtime_event_copies"
FIRST_COPIES_CTE = "first_copies"
"""The CTE of `views/sales_realtime.sql` naming each event's winning copy since T."""
SOURCE_TABLES = ("bronze_sales_events", "csv_uploads")
DELTA_PREFIX = "_delta_"

MATERIALIZE_REALTIME = (
    f'CREATE OR REPLACE TABLE "{REALTIME_VIEW}" AS SELECT * FROM "{LIVE_REALTIME_VIEW}"'
)


@dataclass(frozen=True)
class NewFiles:
    """Files that appeared since the last refresh, nothing else having changed."""

    bronze: tuple[str, ...]
    csv: tuple[str, ...]


def full_statements(realtime_view_sql: str) -> list[str]:
    """Rebuild the side from every file: its lines, then the winner of every event."""
    copies = _copies_query(realtime_view_sql, {})
    return [MATERIALIZE_REALTIME, f'CREATE OR REPLACE TABLE "{COPIES_TABLE}" AS {copies}']


def delta_statements(
    views: dict[str, str],
    tables: dict[str, TableDefinition],
    new: NewFiles,
    scan: Callable[[TableDefinition, tuple[str, ...]], str],
) -> list[str]:
    """Merge the events of `new` files into the materialized side.

    `views` are the Athena statements of `sales_realtime` and `sales_realtime_unbatched`;
    `scan(table, files)` is the engine's DuckDB view of a table over those files only.
    """
    renames = {name: f"{DELTA_PREFIX}{name}" for name in (*SOURCE_TABLES, "sales_realtime")}
    winners = f"{DELTA_PREFIX}winners"
    delta_copies = f"{DELTA_PREFIX}copies"
    files = {"bronze_sales_events": new.bronze, "csv_uploads": new.csv}
    statements = [scan(tables[name], files[name]) for name in SOURCE_TABLES]
    statements += [
        _transpile(views["sales_realtime"], renames, f"{DELTA_PREFIX}sales_realtime"),
        _transpile(views[REALTIME_VIEW], renames, f"{DELTA_PREFIX}{REALTIME_VIEW}"),
        f'CREATE OR REPLACE TABLE "{delta_copies}" AS '
        f"{_copies_query(views['sales_realtime'], renames)}",
        f'CREATE OR REPLACE TABLE "{winners}" AS SELECT d.* FROM "{delta_copies}" AS d '
        f'LEFT JOIN "{COPIES_TABLE}" AS e ON e.event_id = d.event_id '
        f"WHERE e.event_id IS NULL OR {_earlier('d', 'e')}",
        f'DELETE FROM "{REALTIME_VIEW}" WHERE event_id IN (SELECT event_id FROM "{winners}")',
        f'DELETE FROM "{COPIES_TABLE}" WHERE event_id IN (SELECT event_id FROM "{winners}")',
        f'INSERT INTO "{REALTIME_VIEW}" SELECT * FROM "{DELTA_PREFIX}{REALTIME_VIEW}" '
        f'WHERE event_id IN (SELECT event_id FROM "{winners}")',
        f'INSERT INTO "{COPIES_TABLE}" SELECT * FROM "{winners}"',
        f'DROP TABLE "{winners}"',
        f'DROP TABLE "{delta_copies}"',
    ]
    return statements


def delta_table_name(table: str) -> str:
    return f"{DELTA_PREFIX}{table}"


def _earlier(new: str, old: str) -> str:
    """The view's order of copies: `ingested_at`, then `source`, then origin (bronze first)."""
    return (
        f"({new}.ingested_at < {old}.ingested_at OR ({new}.ingested_at = {old}.ingested_at AND "
        f"({new}.source < {old}.source OR ({new}.source = {old}.source AND "
        f"{new}.origin < {old}.origin))))"
    )


def _copies_query(realtime_view_sql: str, renames: dict[str, str]) -> str:
    """Each event's winning copy, from the real-time view's own CTEs (never restated here)."""
    create = sqlglot.parse_one(realtime_view_sql, read=ATHENA_DIALECT)
    query = create.expression
    ctes = query.args.get("with_")
    if ctes is None or FIRST_COPIES_CTE not in {cte.alias for cte in ctes.expressions}:
        raise ValueError(f"the sales_realtime view has no {FIRST_COPIES_CTE} CTE to index")
    copies = exp.select("event_id", "ingested_at", "source", "origin").from_(FIRST_COPIES_CTE)
    copies.set("with_", ctes.copy())
    _rename_tables(copies, renames)
    return copies.sql(DUCKDB_DIALECT)


def _transpile(statement: str, renames: dict[str, str], name: str) -> str:
    create = sqlglot.parse_one(statement, read=ATHENA_DIALECT)
    _rename_tables(create.expression, renames)
    create.this.replace(exp.to_table(name))
    return create.sql(DUCKDB_DIALECT)


def _rename_tables(node: exp.Expression, renames: dict[str, str]) -> None:
    for table in node.find_all(exp.Table):
        if table.name in renames:
            table.set("this", exp.to_identifier(renames[table.name]))
