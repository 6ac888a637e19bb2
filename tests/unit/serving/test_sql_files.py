"""Every DDL and view parses in the Athena dialect, its DuckDB rendition runs, and the DDL
agrees with the contract's schemas column for column."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from batch_layer.csv_format import UPLOAD_COLUMNS
from contract.bronze import BRONZE_SCHEMA
from contract.business_day import BusinessDay
from contract.customers import CUSTOMER_SCHEMAS
from contract.gold import MART_DIMENSIONS, SALES_WIDE, SALES_WIDE_SCHEMA, mart_schema
from contract.lake import MANIFEST_FILE, reference_effective_file, sales_wide_manifest
from contract.reference import REFERENCE_TABLES
from contract.settings import Settings
from serving.engines.duckdb_engine import athena_session, table_view, transpile
from serving.engines.glue_table_input import glue_type
from serving.published_run import read_published_run
from serving.sql_files import (
    ATHENA_DIALECT,
    GOLD_HISTORY_START,
    PUBLISHED_TABLES,
    TABLES,
    VIEWS,
    SqlParameters,
    render,
    table_statements,
    view_statements,
)
from serving.table_definition import TableDefinition
from tests.unit.serving.sample_lake import publish, write_reference

PARAMETERS = SqlParameters(
    lake="s3://lake-bucket/lake",
    published_locations={t: f"s3://lake-bucket/lake/gold/runs/r1/{t}" for t in PUBLISHED_TABLES},
    cutoff=datetime(2026, 11, 21, 3, 0, tzinfo=UTC),
    reporting_tz="America/Sao_Paulo",
    business_day=BusinessDay.STORE,
)


@pytest.mark.parametrize("name", TABLES)
def test_table_ddl_parses_as_athena_create_external_table(name: str) -> None:
    statement = table_statements(PARAMETERS)[name]
    parsed = sqlglot.parse_one(statement, read=ATHENA_DIALECT)
    assert isinstance(parsed, exp.Create)
    assert parsed.find(exp.ExternalProperty) is not None
    table = TableDefinition.parse(statement)
    assert table.name == name
    assert table.location.startswith("s3://lake-bucket/lake/")


@pytest.mark.parametrize("name", VIEWS)
def test_view_parses_as_athena_create_or_replace_view(name: str) -> None:
    parsed = sqlglot.parse_one(view_statements(PARAMETERS)[name], read=ATHENA_DIALECT)
    assert isinstance(parsed, exp.Create)
    assert parsed.kind == "VIEW"
    assert parsed.args.get("replace") is True
    assert parsed.this.name == name


@pytest.mark.parametrize("with_files", [False, True], ids=["empty-lake", "with-files"])
def test_every_statement_runs_on_duckdb_after_transpilation(
    tmp_path: Path, with_files: bool
) -> None:
    lake = tmp_path / "lake"
    if with_files:
        write_reference(lake)
    local = SqlParameters(
        lake=str(lake),
        published_locations={t: str(lake / "gold" / "none" / t) for t in PUBLISHED_TABLES},
        cutoff=PARAMETERS.cutoff,
        reporting_tz=PARAMETERS.reporting_tz,
        business_day=PARAMETERS.business_day,
    )
    connection = athena_session()
    for statement in table_statements(local).values():
        table = TableDefinition.parse(statement)
        has_files = with_files and table.name in REFERENCE_TABLES
        files = (str(lake / reference_effective_file(table.name)),) if has_files else ()
        connection.execute(table_view(table, files=files))
        columns = connection.sql(f'SELECT * FROM "{table.name}" LIMIT 0').columns
        assert columns == [c.name for c in table.all_columns]
    for name, statement in view_statements(local).items():
        connection.execute(transpile(statement))
        columns = connection.sql(f"SELECT * FROM {name} LIMIT 0").columns
        assert columns == SALES_WIDE_SCHEMA.names, name
    connection.close()


def _hive(data_type: pa.DataType) -> str:
    if pa.types.is_list(data_type):
        return f"array<{_hive(data_type.value_type)}>"
    if pa.types.is_map(data_type):
        return f"map<{_hive(data_type.key_type)},{_hive(data_type.item_type)}>"
    if pa.types.is_struct(data_type):
        return "struct<" + ",".join(f"{f.name}:{_hive(f.type)}" for f in data_type) + ">"
    if pa.types.is_decimal(data_type):
        return f"decimal({data_type.precision},{data_type.scale})"
    if pa.types.is_timestamp(data_type):
        return "timestamp"
    return {
        pa.string(): "string",
        pa.int32(): "int",
        pa.int64(): "bigint",
        pa.date32(): "date",
        pa.bool_(): "boolean",
        pa.float64(): "double",
    }[data_type]


CONTRACT_SCHEMAS = {
    "bronze_sales_events": BRONZE_SCHEMA,
    SALES_WIDE: SALES_WIDE_SCHEMA,
    **{name: table.effective_schema() for name, table in REFERENCE_TABLES.items()},
    **{name: mart_schema(name) for name in MART_DIMENSIONS},
    **CUSTOMER_SCHEMAS,
}


@pytest.mark.parametrize("name", sorted(CONTRACT_SCHEMAS))
def test_ddl_columns_match_the_contract_schema(name: str) -> None:
    table = TableDefinition.parse(table_statements(PARAMETERS)[name])
    ddl = {c.name: glue_type(c) for c in table.all_columns}
    contract = {f.name: _hive(f.type) for f in CONTRACT_SCHEMAS[name]}
    for partition in ("ingest_date", "ingest_hour"):
        ddl.pop(partition, None)
    assert ddl == contract


def test_csv_upload_columns_are_the_loaders_in_order() -> None:
    table = TableDefinition.parse(table_statements(PARAMETERS)["csv_uploads"])
    assert tuple(c.name for c in table.columns) == UPLOAD_COLUMNS


def test_render_refuses_placeholders_without_a_value_and_escapes_quotes() -> None:
    with pytest.raises(KeyError, match="cutof"):
        render("SELECT '{{cutof}}'", {"cutoff": "x"})
    assert render("SELECT '{{ lake }}'", {"lake": "it's"}) == "SELECT 'it''s'"


def test_gold_projection_starts_at_the_published_gold_first_day(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    settings = Settings(lake_uri=str(lake))
    unpublished = read_published_run(settings).sql_parameters(settings)
    assert unpublished.gold_first_day == "NOW"
    for day in ("2026-11-19", "2026-11-16", "2026-11-21"):
        folder = lake / sales_wide_manifest("run-1") / f"sale_date={day}"
        folder.mkdir(parents=True)
        (folder / MANIFEST_FILE).write_text("")
    publish(lake, "run-1", datetime(2026, 11, 22, tzinfo=UTC), rows=0)

    published = read_published_run(settings).sql_parameters(settings)

    assert published.gold_first_day == "2026-11-16"
    table = TableDefinition.parse(table_statements(published)[SALES_WIDE])
    assert table.properties["projection.sale_date.range"] == "2026-11-16,NOW+1DAYS"
    assert (
        TableDefinition.parse(table_statements(PARAMETERS)[SALES_WIDE]).properties[
            "projection.sale_date.range"
        ]
        == f"{GOLD_HISTORY_START},NOW+1DAYS"
    )
