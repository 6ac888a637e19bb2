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

A compaction of files the side holds needs no work at all, and anything else (a file rewritten
or removed, a reference load, a published run moving T) rebuilds the side in full: which change
is which is `realtime_listing`'s to say. Both paths run the same view SQL, so they give the same
rows; a test drives random sequences of both and compares.

Both paths read the bronze and CSV files of the engine's listing (`SourceFiles`), never the
tables' globs: the listing is what the next refresh compares with, so the side must hold exactly
those files. A rebuild reading globs would see a file the speed layer renames into place between
its statements in the index of winners but not in the lines, and the merge of that file would
then find every copy a duplicate: its sales never counted (until the next rebuild).
"""

from __future__ import annotations

import functools
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
FULL_PREFIX = "_full_"


@dataclass(frozen=True)
class SourceFiles:
    """Bronze and CSV files (URIs) the side is computed from: every listed one for a rebuild,
    those that appeared since the last refresh, nothing else having changed, for a merge."""

    bronze: tuple[str, ...]
    csv: tuple[str, ...]


Scan = Callable[[TableDefinition, tuple[str, ...], str], str]
"""`scan(table, files, name)`: the engine's DuckDB view `name` of a table over those files only."""


def full_statements(
    views: dict[str, str],
    tables: dict[str, TableDefinition],
    files: SourceFiles,
    scan: Scan,
) -> list[str]:
    """Rebuild the side from `files`, every bronze and CSV file listed: its lines, then the
    winner of every event. Both statements read the same files (see the module's docstring)."""
    renames = _source_renames(FULL_PREFIX)
    realtime = f"{FULL_PREFIX}sales_realtime"
    unbatched = f"{FULL_PREFIX}{REALTIME_VIEW}"
    return [
        *_source_scans(tables, files, scan, renames),
        _transpile(views["sales_realtime"], renames, realtime),
        _transpile(views[REALTIME_VIEW], {"sales_realtime": realtime}, unbatched),
        f'CREATE OR REPLACE TABLE "{REALTIME_VIEW}" AS SELECT * FROM "{unbatched}"',
        f'CREATE OR REPLACE TABLE "{COPIES_TABLE}" AS '
        f"{_copies_query(views['sales_realtime'], renames)}",
        f'DROP VIEW "{unbatched}"',
        f'DROP VIEW "{realtime}"',
        *(f'DROP VIEW "{renames[name]}"' for name in SOURCE_TABLES),
    ]


DELTA_LINES = f"{DELTA_PREFIX}lines"
DELTA_WINNERS = f"{DELTA_PREFIX}winners"


def delta_prepare_statements(
    views: dict[str, str],
    tables: dict[str, TableDefinition],
    new: SourceFiles,
    scan: Scan,
) -> list[str]:
    """The real-time lines of the `new` files alone, and which of their events' copies win.

    `views` are the Athena statements of the serving views. Touches no table readers query."""
    renames = _source_renames(DELTA_PREFIX)
    delta_copies = f"{DELTA_PREFIX}copies"
    return [
        *_source_scans(tables, new, scan, renames),
        _transpile(views["sales_realtime"], renames, f"{DELTA_PREFIX}sales_realtime"),
        f'CREATE OR REPLACE TABLE "{DELTA_LINES}" AS SELECT * FROM "{DELTA_PREFIX}sales_realtime"',
        f'CREATE OR REPLACE TABLE "{delta_copies}" AS '
        f"{_copies_query(views['sales_realtime'], renames)}",
        f'CREATE OR REPLACE TABLE "{DELTA_WINNERS}" AS SELECT d.* FROM "{delta_copies}" AS d '
        f'LEFT JOIN "{COPIES_TABLE}" AS e ON e.event_id = d.event_id '
        f"WHERE e.event_id IS NULL OR {_earlier('d', 'e')}",
        f'DROP TABLE "{delta_copies}"',
    ]


def delta_merge_statements(views: dict[str, str]) -> list[str]:
    """Replace the winning events' lines, minus those gold holds, and their index entries.

    The anti-join against gold is the view's own (its window of gold days included), over the
    gold lines of the winners' ids: a copy may claim another day than the one gold counts its
    event on, so every day is looked up, but only for these few ids, and once."""
    batch = f"{DELTA_PREFIX}sales_batch"
    renames = {"sales_realtime": DELTA_LINES, "sales_batch": batch}
    unbatched = f"{DELTA_PREFIX}{REALTIME_VIEW}"
    winners = f'(SELECT event_id FROM "{DELTA_WINNERS}")'
    return [
        f'CREATE OR REPLACE TABLE "{batch}" AS SELECT DISTINCT event_id, sale_date '
        f"FROM sales_batch WHERE event_id IN {winners}",
        _transpile(views[REALTIME_VIEW], renames, unbatched),
        f'DELETE FROM "{REALTIME_VIEW}" WHERE event_id IN {winners}',
        f'DELETE FROM "{COPIES_TABLE}" WHERE event_id IN {winners}',
        f'INSERT INTO "{REALTIME_VIEW}" SELECT * FROM "{unbatched}" WHERE event_id IN {winners}',
        f'INSERT INTO "{COPIES_TABLE}" SELECT * FROM "{DELTA_WINNERS}"',
        f'DROP VIEW "{unbatched}"',
        f'DROP TABLE "{batch}"',
        f'DROP TABLE "{DELTA_WINNERS}"',
        f'DROP TABLE "{DELTA_LINES}"',
    ]


def _source_renames(prefix: str) -> dict[str, str]:
    return {name: f"{prefix}{name}" for name in SOURCE_TABLES}


def _source_scans(
    tables: dict[str, TableDefinition], files: SourceFiles, scan: Scan, renames: dict[str, str]
) -> list[str]:
    """The source tables as views over `files` alone, under their `renames`."""
    listed = {"bronze_sales_events": files.bronze, "csv_uploads": files.csv}
    return [scan(tables[name], listed[name], renames[name]) for name in SOURCE_TABLES]


def _earlier(new: str, old: str) -> str:
    """The view's order of copies: `ingested_at`, then `source`, then origin (bronze first)."""
    return (
        f"({new}.ingested_at < {old}.ingested_at OR ({new}.ingested_at = {old}.ingested_at AND "
        f"({new}.source < {old}.source OR ({new}.source = {old}.source AND "
        f"{new}.origin < {old}.origin))))"
    )


Renames = tuple[tuple[str, str], ...]
"""Table renames as hashable pairs, so the renderings below can be kept."""


def _copies_query(realtime_view_sql: str, renames: dict[str, str]) -> str:
    return _rendered_copies_query(realtime_view_sql, tuple(sorted(renames.items())))


def _transpile(statement: str, renames: dict[str, str], name: str) -> str:
    return _transpiled(statement, tuple(sorted(renames.items())), name)


@functools.lru_cache(maxsize=32)
def _rendered_copies_query(realtime_view_sql: str, renames: Renames) -> str:
    """Each event's winning copy, from the real-time view's own CTEs (never restated here).

    Kept per view text (as `_transpiled`): parsing the view costs more than the merge's own SQL,
    and the text changes only when the engine installs a run."""
    create = sqlglot.parse_one(realtime_view_sql, read=ATHENA_DIALECT)
    query = create.expression
    ctes = query.args.get("with_")
    if ctes is None or FIRST_COPIES_CTE not in {cte.alias for cte in ctes.expressions}:
        raise ValueError(f"the sales_realtime view has no {FIRST_COPIES_CTE} CTE to index")
    copies = exp.select("event_id", "ingested_at", "source", "origin").from_(FIRST_COPIES_CTE)
    copies.set("with_", ctes.copy())
    _rename_tables(copies, dict(renames))
    return copies.sql(DUCKDB_DIALECT)


@functools.lru_cache(maxsize=32)
def _transpiled(statement: str, renames: Renames, name: str) -> str:
    """`statement` (an Athena CREATE VIEW) in DuckDB's dialect, named `name`, its tables
    renamed; kept per text, as the merge of every landed file renders the same views."""
    create = sqlglot.parse_one(statement, read=ATHENA_DIALECT)
    _rename_tables(create.expression, dict(renames))
    create.this.replace(exp.to_table(name))
    return create.sql(DUCKDB_DIALECT)


def _rename_tables(node: exp.Expression, renames: dict[str, str]) -> None:
    for table in node.find_all(exp.Table):
        if table.name in renames:
            table.set("this", exp.to_identifier(renames[table.name]))
