"""The serving SQL as Athena runs it, on a real Trino, against the DuckDB engine's answers.

One Trino server per test session (Hive connector, file metastore and lake in the moto server's
S3). The test builds a lake whose business days are the stores' own (one store in a zone of its
own), lets the real `AthenaEngine` install its Glue tables and views on the moto server, replays
them into Trino (`devstack.trino_athena`), asks the query API every kind of question with the DuckDB
engine, and runs each SQL text the API issued on Trino too: the rows must be the same. On the way
this runs for real what DuckDB only ever ran transpiled: `at_timezone` over a zone column, the
symlink-manifest `sales_wide` partitions read through Athena's partition projection, OpenCSVSerde
with a header line, and the bronze projection. The reporting-zone rule differs only by the literal
the views compare, so it is left to the DuckDB tests (one scenario here costs about a minute of
Trino queries on a 2-core machine).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contract.business_day import BusinessDay
from contract.settings import Settings
from devstack.jars import MissingBundleError, bundle_dir
from devstack.trino import BUNDLE, TrinoError, TrinoServer, java_for_trino
from devstack.trino_athena import (
    RecordingEngine,
    athena_trino,
    create_athena_resources,
    install_catalog,
    trino_sql,
    upload_lake,
)
from serving.app import create_app
from serving.engines.athena_engine import AthenaEngine
from serving.engines.base import QueryEngine, QueryResult
from serving.engines.duckdb_engine import DuckDBEngine
from tests.unit.serving.sample_lake import (
    TEST_CATALOG,
    Copy,
    ReferenceCatalog,
    expected_lines,
    write_gold,
    write_inputs,
)
from tests.unit.serving.scenario import CUTOFF, scenario_copies

pytestmark = [pytest.mark.xdist_group("trino"), pytest.mark.timeout(1200)]
"""One worker starts the server; its start and the planning of the views' queries take minutes
on a busy machine."""

TZ = "America/Sao_Paulo"
LAKE_PREFIX = "lake"
ZONED_CATALOG = ReferenceCatalog(
    TEST_CATALOG.products,
    [
        store.model_copy(update={"time_zone": "America/Manaus"})
        if store.store_id == "RJ-CENTRO-01"
        else store
        for store in TEST_CATALOG.stores
    ],
    TEST_CATALOG.customers,
)
"""One store on a zone of its own, so a business day by store differs from the reporting one."""


def requests(shift: timedelta) -> list[tuple[str, dict[str, Any]]]:
    """Every route that queries the engine, with the options that change its SQL; dates are
    the scenario's moved by `shift`."""
    day = (CUTOFF + shift).date()
    week = {"from": str(day - timedelta(days=5)), "to": str(day + timedelta(days=2))}
    hour = datetime.combine(day, time(10))
    minutes = {"from": hour.isoformat(), "to": (hour + timedelta(hours=1)).isoformat()}
    return [
        ("/v1/metrics/sales", {**week, "granularity": "day", "group_by": "store_id"}),
        ("/v1/metrics/sales", {**minutes, "granularity": "minute"}),
        ("/v1/metrics/sales", {**week, "granularity": "hour", "group_by": "category,brand"}),
        ("/v1/metrics/sales", {**week, "granularity": "week", "compare": "previous_week"}),
        ("/v1/metrics/sales", {**week, "granularity": "month", "compare": "previous_year"}),
        (
            "/v1/metrics/sales",
            {
                **week,
                "granularity": "total",
                "category": "computers",
                "attributes": "current",
                "group_by": "payment_method",
            },
        ),
        (
            "/v1/metrics/sales",
            {
                **week,
                "group_by": "promotion_id",
                "store_id": "SP-PAULISTA-01",
                "compare": "previous_period",
            },
        ),
        ("/v1/metrics/top-products", {**week, "limit": 2}),
        ("/v1/metrics/top-products", {**week, "order_by": "units", "attributes": "current"}),
        ("/v1/metrics/top-products", {**week, "slow_movers": "true", "category": "peripherals"}),
        ("/v1/freshness", {}),
        ("/v1/display", {}),
        ("/v1/reconciliations", {"date": str(day)}),
        ("/v1/reconciliations/store-day", {"store_id": "SP-PAULISTA-01", "date": str(day)}),
        ("/v1/customers/C-000042", {}),
        ("/v1/metrics/customers", {}),
    ]


def recent(copies: list[Copy]) -> tuple[list[Copy], timedelta]:
    """The scenario moved by whole days so that T falls one to two days ago, as T does in a
    deployment: Athena's bronze projection runs from T's date to now, one partition per hour,
    and a T weeks old would have every query list hundreds of empty partitions."""
    shift = timedelta(days=(datetime.now(UTC) - CUTOFF).days - 1)  # backwards on older clocks
    moved = [
        Copy(
            c.event.model_copy(
                update={
                    "occurred_at": c.event.occurred_at + shift,
                    "ingested_at": c.event.ingested_at + shift,
                }
            ),
            c.via_csv,
        )
        for c in copies
    ]
    return moved, shift


@pytest.fixture(scope="session")
def trino(moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrinoServer]:
    """The session's one Trino: 1 GiB heap, 384 MB per query. Skips, saying what is missing,
    where the set-up could not fetch the server or there is no Java it runs on."""
    try:
        bundle_dir(BUNDLE)
        java_for_trino()
    except (MissingBundleError, TrinoError) as missing:
        pytest.skip(str(missing))
    with athena_trino(moto_endpoint, tmp_path_factory.mktemp("trino")) as s:
        yield s


def test_every_query_of_the_api_answers_on_trino_as_on_duckdb(
    trino: TrinoServer,
    moto_settings: Settings,
    tmp_path: Path,
    make_event: Callable[..., dict[str, Any]],
) -> None:
    business_day = BusinessDay.STORE  # the zone comes from a column: at_timezone's hard case
    copies, shift = recent(scenario_copies(make_event))
    cutoff = CUTOFF + shift
    lake = tmp_path / "lake"
    write_inputs(lake, copies, ZONED_CATALOG)
    before = [c for c in copies if c.event.ingested_at < cutoff]
    gold = expected_lines(before, TZ, ZONED_CATALOG, business_day)
    write_gold(lake, gold, cutoff, "run-1")

    create_athena_resources(moto_settings)
    athena_settings = moto_settings.model_copy(
        update={
            "lake_uri": f"s3://{moto_settings.lake_bucket}/{LAKE_PREFIX}",
            "reporting_tz": TZ,
            "business_day": business_day,
        }
    )
    upload_lake(athena_settings, lake, LAKE_PREFIX)
    athena = AthenaEngine(athena_settings)
    try:
        assert athena.refresh().run_id == "run-1"
    finally:
        athena.close()
    install_catalog(trino, athena_settings)

    local = Settings(
        lake_uri=str(lake), reporting_tz=TZ, business_day=business_day, serving_cache_seconds=0
    )
    recording = RecordingEngine(DuckDBEngine(local), [])
    engine: QueryEngine = recording
    with TestClient(create_app(local, engine)) as client:
        for path, params in requests(shift):
            response = client.get(path, params=params)
            assert response.status_code in (200, 404), (path, params, response.text)
    recording.close()

    assert len({sql for sql, _ in recording.answered}) >= len(requests(shift))
    differences = []
    for sql, duckdb_result in recording.answered:
        on_trino = trino_sql(trino, sql, schema=athena_settings.glue_database)
        if _comparable(on_trino) != _comparable(duckdb_result):
            differences.append(f"{sql}\n  trino:  {on_trino}\n  duckdb: {duckdb_result}")
    assert not differences, "\n\n".join(differences)
    lines = trino_sql(
        trino, "SELECT count(*) AS n FROM sales_merged", schema=athena_settings.glue_database
    )
    assert lines.rows[0]["n"] == len(expected_lines(copies, TZ, ZONED_CATALOG, business_day))


def _comparable(result: QueryResult) -> tuple[tuple[str, ...], list[tuple[tuple[str, Any], ...]]]:
    """Columns and rows, the rows sorted (an API query's order is its own, checked by the API
    tests), instants as UTC, doubles to 12 significant digits."""
    rows = [tuple((name, _value(value)) for name, value in row.items()) for row in result.rows]
    return result.columns, sorted(rows, key=repr)


def _value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.12g}")
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return Decimal(value).normalize()  # DuckDB sums integers as DECIMAL, Trino as bigint
    return value
