"""The local engine's materialized real-time side, kept up to date file by file.

`sales_realtime_unbatched` (dedup, explode, reference joins and quality rules over every line
since T, minus the sales gold holds) is materialized into a table of that name. Recomputing it
whenever a file lands costs time in proportion to the whole day; instead, when the only change
since the last refresh is new bronze or CSV files, the same Athena views are rendered over just
the new files (`_delta_*` names) and merged in:

- `realtime_event_copies` holds, for every sale since T, the copy that won (the view's own
  `first_copies`: first `ingested_at`, then smaller `source`, then bronze before CSV, under the
  sale's id: the event's, or `<event_id>~<source>` for a conflicting copy, ADR 0021);
- `realtime_gold_sales` holds gold's sales the view looks up (its `earlier_sales`: the window's
  days, ADR 0022), read from gold once per published run: gold changes only when a run is
  published, so no merge nor rebuild reads gold's files again, however often files land (on an
  `s3://` lake each read would be a scan of the window's sales through the S3 API);
- the view is rendered with gold's sales of the new copies' ids and the stored winners of those
  ids in the place of gold: to the view they are earlier sales, which the new copies are judged
  against as against gold's (a duplicate, or a sale of its own). Its lines are new sales only,
  and are added with their winners; nothing stored changes;
- that holds while every stored copy of those ids was ingested before the new copies. A new
  copy that precedes one (files landing out of order, the same id in both) may change which
  copy won and so what every other copy of the id is: the side is rebuilt instead.

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

from contract.content_digest import CONFLICT_SEPARATOR
from serving.sql_files import ATHENA_DIALECT
from serving.table_definition import TableDefinition

DUCKDB_DIALECT = "duckdb"
REALTIME_VIEW = "sales_realtime_unbatched"
LIVE_REALTIME_VIEW = f"{REALTIME_VIEW}_live"
COPIES_TABLE = "realtime_event_copies"
GOLD_SALES_TABLE = "realtime_gold_sales"
EARLIER_SALES_CTE = "earlier_sales"
"""The CTE of `views/sales_realtime.sql` naming gold's sales of the window, under each base id."""
FIRST_COPIES_CTE = "first_copies"
"""The CTE of `views/sales_realtime.sql` naming each sale's winning copy since T."""
KEPT_COPIES_CTE = "kept_copies"
"""The CTE of `views/sales_realtime.sql` listing every copy, before any is judged."""
COPY_COLUMNS = ("event_id", "ingested_at", "source", "origin", "content_digest")
"""What the side keeps of each winning copy, and what a new copy is compared with."""
SOURCE_TABLES = ("bronze_sales_events", "csv_uploads")
DELTA_PREFIX = "_delta_"
FULL_PREFIX = "_full_"
LATEST_SALE_DATE = "9999-12-31"
"""The `sale_date` the stored winners stand in gold's place with: inside every window of gold
days the view looks up (ADR 0022), since a copy since T is always compared with them."""


@dataclass(frozen=True)
class SourceFiles:
    """Bronze and CSV files (URIs) the side is computed from: every listed one for a rebuild,
    those that appeared since the last refresh, nothing else having changed, for a merge."""

    bronze: tuple[str, ...]
    csv: tuple[str, ...]


Scan = Callable[[TableDefinition, tuple[str, ...], str], str]
"""`scan(table, files, name)`: the engine's DuckDB view `name` of a table over those files only."""


def gold_sales_statement(views: dict[str, str]) -> str:
    """Keep gold's sales the view looks up: its own `earlier_sales` (never restated here), shaped
    as the `sales_batch` columns it reads, with each sale's base id for the merge's lookup. They
    stand in gold's place with LATEST_SALE_DATE, so the view's window keeps every one of them."""
    earlier = _cte_query(
        views["sales_realtime"],
        EARLIER_SALES_CTE,
        ("base_id", "sale_id", "sale_source", "sale_digest"),
        {},
    )
    return (
        f'CREATE OR REPLACE TABLE "{GOLD_SALES_TABLE}" AS SELECT base_id, '
        "sale_id AS event_id, sale_source AS source, sale_digest AS content_digest, "
        f"DATE '{LATEST_SALE_DATE}' AS sale_date FROM ({earlier})"
    )


def full_statements(
    views: dict[str, str],
    tables: dict[str, TableDefinition],
    files: SourceFiles,
    scan: Scan,
) -> list[str]:
    """Rebuild the side from `files`, every bronze and CSV file listed: its lines, then the
    winner of every sale. Both statements read the same files (see the module's docstring), and
    gold's sales from `GOLD_SALES_TABLE` (`gold_sales_statement`, made when the run was
    installed)."""
    renames = {**_source_renames(FULL_PREFIX), "sales_batch": GOLD_SALES_TABLE}
    realtime = f"{FULL_PREFIX}sales_realtime"
    unbatched = f"{FULL_PREFIX}{REALTIME_VIEW}"
    return [
        *_source_scans(tables, files, scan, renames),
        _transpile(views["sales_realtime"], renames, realtime),
        _transpile(views[REALTIME_VIEW], {"sales_realtime": realtime}, unbatched),
        f'CREATE OR REPLACE TABLE "{REALTIME_VIEW}" AS SELECT * FROM "{unbatched}"',
        f'CREATE OR REPLACE TABLE "{COPIES_TABLE}" AS '
        f"{_cte_query(views['sales_realtime'], FIRST_COPIES_CTE, COPY_COLUMNS, renames)}",
        f'DROP VIEW "{unbatched}"',
        f'DROP VIEW "{realtime}"',
        *(f'DROP VIEW "{renames[name]}"' for name in SOURCE_TABLES),
    ]


DELTA_COPIES = f"{DELTA_PREFIX}copies"
DELTA_EARLIER = f"{DELTA_PREFIX}earlier_sales"


def delta_prepare_statements(
    views: dict[str, str],
    tables: dict[str, TableDefinition],
    new: SourceFiles,
    scan: Scan,
) -> list[str]:
    """The `new` files as the source tables, and their copies. Touches no table readers query;
    `preceding_copies_sql` then says whether they can be merged."""
    renames = _source_renames(DELTA_PREFIX)
    return [
        *_source_scans(tables, new, scan, renames),
        f'CREATE OR REPLACE TABLE "{DELTA_COPIES}" AS '
        f"{_cte_query(views['sales_realtime'], KEPT_COPIES_CTE, COPY_COLUMNS, renames)}",
    ]


def preceding_copies_sql() -> str:
    """How many new copies precede a stored winner of their id (or of one of its conflict
    sales): more than none, and the side must be rebuilt instead of merged into."""
    return (
        f'SELECT count(*) FROM "{DELTA_COPIES}" AS d JOIN "{COPIES_TABLE}" AS e '
        f"ON {_base_id('e')} = d.event_id WHERE {_earlier('d', 'e')}"
    )


def delta_merge_statements(views: dict[str, str]) -> list[str]:
    """Add the new files' sales: the view over them alone, judged against gold's sales
    (`GOLD_SALES_TABLE`) and the stored winners of their ids (the earlier sales), adds only
    sales neither holds."""
    renames = {**_source_renames(DELTA_PREFIX), "sales_batch": DELTA_EARLIER}
    realtime = f"{DELTA_PREFIX}sales_realtime"
    unbatched = f"{DELTA_PREFIX}{REALTIME_VIEW}"
    ids = f'(SELECT DISTINCT event_id FROM "{DELTA_COPIES}")'
    return [
        f'CREATE OR REPLACE TABLE "{DELTA_EARLIER}" AS '
        f'SELECT event_id, source, content_digest, sale_date FROM "{GOLD_SALES_TABLE}" '
        f"WHERE base_id IN {ids} "
        "UNION ALL SELECT event_id, source, content_digest, "
        f"DATE '{LATEST_SALE_DATE}' AS sale_date FROM \"{COPIES_TABLE}\" "
        f"WHERE {_base_id()} IN {ids}",
        _transpile(views["sales_realtime"], renames, realtime),
        _transpile(views[REALTIME_VIEW], {"sales_realtime": realtime}, unbatched),
        f'INSERT INTO "{REALTIME_VIEW}" SELECT * FROM "{unbatched}"',
        f'INSERT INTO "{COPIES_TABLE}" '
        f"{_cte_query(views['sales_realtime'], FIRST_COPIES_CTE, COPY_COLUMNS, renames)}",
        f'DROP VIEW "{unbatched}"',
        f'DROP VIEW "{realtime}"',
        f'DROP TABLE "{DELTA_EARLIER}"',
        *DISCARD_DELTA,
    ]


DISCARD_DELTA = (
    f'DROP TABLE "{DELTA_COPIES}"',
    *(f'DROP VIEW "{DELTA_PREFIX}{name}"' for name in SOURCE_TABLES),
)
"""Drop what `delta_prepare_statements` made: after the merge, or when the side is rebuilt."""


def _base_id(table: str = "") -> str:
    """The event id a sale's id is made from: itself, or what precedes `~<source>`."""
    column = f"{table}.event_id" if table else "event_id"
    return f"split_part({column}, '{CONFLICT_SEPARATOR}', 1)"


def _source_renames(prefix: str) -> dict[str, str]:
    return {name: f"{prefix}{name}" for name in SOURCE_TABLES}


def _source_scans(
    tables: dict[str, TableDefinition], files: SourceFiles, scan: Scan, renames: dict[str, str]
) -> list[str]:
    """The source tables as views over `files` alone, under their `renames`."""
    listed = {"bronze_sales_events": files.bronze, "csv_uploads": files.csv}
    return [scan(tables[name], listed[name], renames[name]) for name in SOURCE_TABLES]


def _earlier(new: str, old: str) -> str:
    """The view's order of copies: `ingested_at`, then `source`, then origin (bronze first), then
    the smaller content digest (copies sent in one request; a missing digest sorts last)."""
    digest = (
        f"({new}.content_digest < {old}.content_digest OR "
        f"({old}.content_digest IS NULL AND {new}.content_digest IS NOT NULL))"
    )
    return (
        f"({new}.ingested_at < {old}.ingested_at OR ({new}.ingested_at = {old}.ingested_at AND "
        f"({new}.source < {old}.source OR ({new}.source = {old}.source AND "
        f"({new}.origin < {old}.origin OR ({new}.origin = {old}.origin AND {digest}))))))"
    )


Renames = tuple[tuple[str, str], ...]
"""Table renames as hashable pairs, so the renderings below can be kept."""


def _cte_query(
    realtime_view_sql: str, cte: str, columns: tuple[str, ...], renames: dict[str, str]
) -> str:
    return _rendered_cte_query(realtime_view_sql, cte, columns, tuple(sorted(renames.items())))


def _transpile(statement: str, renames: dict[str, str], name: str) -> str:
    return _transpiled(statement, tuple(sorted(renames.items())), name)


@functools.lru_cache(maxsize=32)
def _rendered_cte_query(
    realtime_view_sql: str, cte: str, columns: tuple[str, ...], renames: Renames
) -> str:
    """`columns` of one of the real-time view's own CTEs (never restated here).

    Kept per view text (as `_transpiled`): parsing the view costs more than the merge's own SQL,
    and the text changes only when the engine installs a run."""
    create = sqlglot.parse_one(realtime_view_sql, read=ATHENA_DIALECT)
    query = create.expression
    ctes = query.args.get("with_")
    if ctes is None or cte not in {c.alias for c in ctes.expressions}:
        raise ValueError(f"the sales_realtime view has no {cte} CTE to read")
    selected = exp.select(*columns).from_(cte)
    selected.set("with_", ctes.copy())
    _rename_tables(selected, dict(renames))
    return selected.sql(DUCKDB_DIALECT)


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
