"""The serving SQL files and the one way to fill their placeholders.

Everything is written once in the Athena dialect under `serving/sql/`: Hive DDL for the tables in
`tables/` (the marts' own follows from the contract, `serving.mart_tables`), Trino views in
`views/`. What changes per deployment or per published batch run (lake
root, the gold run's location, cutoff T, reporting time zone) is a `{{name}}` placeholder, so
both engines render the very same text. Unknown or missing placeholders fail loudly: a typo must
not produce SQL that silently reads nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contract.business_day import BusinessDay
from contract.customers import CUSTOMER_TABLES
from contract.event import MAX_ITEMS
from contract.gold import MART_DIMENSIONS, SALES_WIDE
from contract.quality import MAX_LINE_NET_AMOUNT
from serving.mart_tables import mart_table_sql

SQL_DIR = Path(__file__).parent / "sql"
ATHENA_DIALECT = "athena"

PUBLISHED_TABLES = (SALES_WIDE, *MART_DIMENSIONS, *CUSTOMER_TABLES)
"""Tables living in the published batch run's folder: their location changes at every publish."""
TABLES = (
    "products",
    "stores",
    "customers",
    "bronze_sales_events",
    "csv_uploads",
    *PUBLISHED_TABLES,
)
VIEWS = (
    "sales_batch",
    "sales_realtime",
    "sales_realtime_unbatched",
    "sales_merged",
    "sales_merged_current_attributes",
)
"""In dependency order: each view reads only tables and the views before it."""

GOLD_HISTORY_START = "2000-01-01"
"""Where the `sales_wide` partition projection starts when the published gold's first day is not
known (the table Terraform creates before any batch run)."""

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@dataclass(frozen=True)
class SqlParameters:
    """The values the serving SQL is rendered with: one deployment, one published run."""

    lake: str
    """Lake root URI (`s3://bucket/prefix` or an absolute local path), without trailing slash."""
    published_locations: dict[str, str]
    """Each of PUBLISHED_TABLES -> the full URI of its folder in the published run."""
    cutoff: datetime
    reporting_tz: str
    business_day: BusinessDay
    gold_first_day: str = GOLD_HISTORY_START
    """The first `sale_date` of the published `sales_wide` (`yyyy-MM-dd`), or `NOW` while gold
    holds no day: where its partition projection starts. A query that does not narrow
    `sale_date` (the real-time lines' lookup of gold's sales, under the freshness and customer
    queries) makes Athena list every projected day, so the range starts where gold does."""
    dedup_days: int = 0
    """`Settings.realtime_dedup_days`: the gold days the real-time view's lookup of gold's sales
    reads start this many days before T's date; 0, at GOLD_HISTORY_START (every day)."""

    def placeholders(self) -> dict[str, str]:
        cutoff = self.cutoff.astimezone(UTC)
        return {
            "lake": self.lake.rstrip("/"),
            **{
                f"{table}_location": location.rstrip("/")
                for table, location in self.published_locations.items()
            },
            "cutoff": f"{cutoff:%Y-%m-%d %H:%M:%S.%f}",
            "cutoff_date": f"{cutoff:%Y-%m-%d}",
            "cutoff_hour": f"{cutoff:%H}",
            "reporting_tz": self.reporting_tz,
            "business_day": self.business_day.value,
            "gold_first_day": self.gold_first_day,
            "dedup_from_date": dedup_from_date(self.cutoff, self.dedup_days),
            "max_line_net_amount": str(MAX_LINE_NET_AMOUNT),
            "max_items": str(MAX_ITEMS),
        }


def dedup_from_date(cutoff: datetime, dedup_days: int) -> str:
    """The first gold day (`yyyy-MM-dd`) the real-time view's anti-join looks up: T's UTC date
    minus `dedup_days`, or GOLD_HISTORY_START (every day) for 0 (docs/adr/0022)."""
    if dedup_days == 0:
        return GOLD_HISTORY_START
    return (cutoff.astimezone(UTC).date() - timedelta(days=dedup_days)).isoformat()


def render(template: str, placeholders: dict[str, str]) -> str:
    """Fill `{{name}}` placeholders; every value lands inside a SQL string literal, so quotes
    are doubled."""
    unknown = sorted(set(_PLACEHOLDER.findall(template)) - placeholders.keys())
    if unknown:
        raise KeyError(f"SQL placeholders without a value: {', '.join(unknown)}")
    return _PLACEHOLDER.sub(lambda match: placeholders[match[1]].replace("'", "''"), template)


def table_statements(parameters: SqlParameters) -> dict[str, str]:
    """Table name -> its rendered `CREATE EXTERNAL TABLE` statement (Athena/Hive DDL)."""
    return _rendered("tables", TABLES, parameters)


def view_statements(parameters: SqlParameters) -> dict[str, str]:
    """View name -> its rendered `CREATE OR REPLACE VIEW` statement, in dependency order."""
    return _rendered("views", VIEWS, parameters)


def _rendered(folder: str, names: tuple[str, ...], parameters: SqlParameters) -> dict[str, str]:
    placeholders = parameters.placeholders()
    return {name: render(_template(folder, name), placeholders) for name in names}


def _template(folder: str, name: str) -> str:
    """A file of `sql/<folder>/`, except the marts' tables, which follow from the contract."""
    if folder == "tables" and name in MART_DIMENSIONS:
        return mart_table_sql(name)
    return (SQL_DIR / folder / f"{name}.sql").read_text()
