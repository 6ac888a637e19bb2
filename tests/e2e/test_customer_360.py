"""Customer 360 with the REAL batch job (Spark local), the moto server's DynamoDB and the API.

Months of purchases before T (duplicates, returns, anonymous sales, a quarantined event, a line
of an unknown product, customers in and out of the catalog) and two days after it (new customers,
a late event older than a customer's first purchase, a lone return, a re-sent copy of an event
gold holds). Gold's profiles, cut points and cohorts equal the plain-Python oracle; the profiles
are loaded into DynamoDB and every lookup, through the store and through gold alike, equals the
oracle's profile over all the events, scored among the run's customers. A load that dies half-way
through a later run is invisible: lookups read that run's gold until its load finishes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from pyspark.sql import SparkSession

from batch_layer.job import run_batch
from batch_layer.profile_load import (
    PROFILES_NOT_LOADED_EXIT_CODE,
    load_profiles,
    load_published_profiles,
)
from contract.customers import (
    CUSTOMER_COHORTS,
    CUSTOMER_PROFILES,
    CUSTOMER_RFM_QUINTILES,
    RFM_SEGMENTS,
)
from contract.errors import ProfileStoreError
from contract.profile_store import ProfileStore
from contract.publication import Publication
from contract.settings import Settings
from devstack.resources import bootstrap_resources
from serving.app import create_app
from tests.e2e.customer_360_scenario import (
    CATALOG,
    CUTOFF,
    LATER_CUTOFF,
    NEW_IN_CATALOG,
    NEW_UNKNOWN,
    ONLY_QUARANTINED,
    ONLY_RETURNS,
    TZ,
    ZONE,
    Scenario,
    as_json,
    base_profiles,
    build_scenario,
    cohorts,
    cut_points,
    gold_lines,
    money,
    scored,
)
from tests.unit.serving.sample_lake import write_bronze, write_reference

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

RUN_FIELDS = ("boundary", "run_id", "as_of", "source", "since_boundary")


@dataclass(frozen=True)
class Published:
    scenario: Scenario
    lake: Path
    publication: Publication


@pytest.fixture(scope="module")
def published(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Published:
    scenario = build_scenario()
    lake = tmp_path_factory.mktemp("customers") / "lake"
    write_reference(lake, CATALOG)
    write_bronze(lake, [copy.event for copy in scenario.copies])
    settings = Settings(lake_uri=str(lake), reporting_tz=TZ)
    publication = run_batch(settings.lake_uri, CUTOFF, settings=settings, spark=spark)
    return Published(scenario, lake, publication)


def settings_for(lake: Path, moto_endpoint: str | None = None, prefix: str = "") -> Settings:
    if moto_endpoint is None:
        return Settings(lake_uri=str(lake), reporting_tz=TZ, serving_cache_seconds=0)
    return Settings(
        lake_uri=str(lake),
        reporting_tz=TZ,
        serving_cache_seconds=0,
        aws_endpoint_url=moto_endpoint,
        name_prefix=prefix,
        customer_profile_store="dynamodb",
    )


def gold_table(lake: Path, publication: Publication, table: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(lake / publication.tables[table]).to_pylist()
    return rows


def with_dict_maps(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "channel_orders": dict(row["channel_orders"] or []),
        "category_net_revenue": dict(row["category_net_revenue"] or []),
    }


def expected_lookups(scenario: Scenario, cutoff: datetime, today: date) -> dict[str, Any]:
    """Every customer's profile over all the events, scored among the run's customers."""
    population = base_profiles(gold_lines(scenario.before(cutoff)))
    merged = base_profiles(gold_lines(scenario.copies))
    return {
        customer: as_json(scored(profile, population, today))
        for customer, profile in merged.items()
    }


def lookup(client: TestClient, customer_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/customers/{customer_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_gold_holds_the_oracles_profiles_cut_points_and_cohorts(published: Published) -> None:
    lines = gold_lines(published.scenario.before(CUTOFF))
    as_of = CUTOFF.astimezone(ZONE).date()
    population = base_profiles(lines)
    assert len(population) >= 20
    assert {ONLY_RETURNS, ONLY_QUARANTINED, NEW_IN_CATALOG, NEW_UNKNOWN}.isdisjoint(population)

    profiles = gold_table(published.lake, published.publication, CUSTOMER_PROFILES)
    assert [row["customer_id"] for row in profiles] == sorted(population)
    expected = [scored(population[c], population, as_of) for c in sorted(population)]
    assert [with_dict_maps(row) for row in profiles] == expected
    assert published.publication.output_counts[CUSTOMER_PROFILES] == len(population)
    assert len({row["rfm_segment"] for row in profiles}) >= 4
    assert {row["customer_segment"] for row in profiles} >= {None, "consumer"}

    quintiles = gold_table(published.lake, published.publication, CUSTOMER_RFM_QUINTILES)
    assert [
        {k: row[k] for k in ("boundary", "last_purchase_date", "orders", "net_revenue")}
        for row in quintiles
    ] == cut_points(population)
    assert {(row["customers"], row["as_of_date"]) for row in quintiles} == {
        (len(population), as_of)
    }

    expected_cohorts = cohorts(lines, as_of)
    assert gold_table(published.lake, published.publication, CUSTOMER_COHORTS) == expected_cohorts
    assert len({row["cohort_month"] for row in expected_cohorts}) >= 4
    assert any(0 < row["retention_rate"] < 1 for row in expected_cohorts)


def test_lookups_through_dynamodb_and_gold_equal_the_oracle_across_the_boundary(
    published: Published, moto_endpoint: str, name_prefix: str
) -> None:
    dynamo = settings_for(published.lake, moto_endpoint, name_prefix)
    bootstrap_resources(dynamo, lake_uri=dynamo.lake_uri)
    assert load_published_profiles(dynamo, published.publication.run_id) == 0

    today = datetime.now(ZONE).date()
    expected = expected_lookups(published.scenario, CUTOFF, today)
    assert {NEW_IN_CATALOG, NEW_UNKNOWN} <= expected.keys()
    population = base_profiles(gold_lines(published.scenario.before(CUTOFF)))
    for settings, source in ((dynamo, "dynamodb"), (settings_for(published.lake), "gold")):
        with TestClient(create_app(settings)) as client:
            for customer_id, profile in expected.items():
                body = lookup(client, customer_id)
                assert body["as_of_date"] in (
                    today.isoformat(),
                    datetime.now(ZONE).date().isoformat(),
                )
                assert {k: v for k, v in body.items() if k not in RUN_FIELDS} == profile, (
                    customer_id
                )
                assert body["source"] == (source if customer_id in population else "none")
                assert body["run_id"] == published.publication.run_id

    with TestClient(create_app(dynamo)) as client:
        late = lookup(client, "C-05")
        assert late["first_purchase_at"] < "2026-06-01", "the late event moved the first purchase"
        assert late["since_boundary"]["orders"] >= 1
        lone_return = lookup(client, "C-20")["since_boundary"]
        assert (lone_return["orders"], lone_return["returns"]) == (0, 1)
        assert lookup(client, NEW_UNKNOWN)["customer_segment"] is None
        assert lookup(client, NEW_IN_CATALOG)["customer_segment"] == "consumer"

        run_only = client.get("/v1/customers/C-05?realtime=false").json()
        assert run_only["since_boundary"]["lines"] == 0
        assert run_only["orders"] == population["C-05"]["orders"]
        assert client.get(f"/v1/customers/{NEW_UNKNOWN}?realtime=false").status_code == 404

        for unknown in (ONLY_RETURNS, ONLY_QUARANTINED, "C-NEVER"):
            response = client.get(f"/v1/customers/{unknown}")
            assert response.status_code == 404
            assert unknown in response.json()["detail"]
            assert published.publication.run_id in response.json()["detail"]
        bad = client.get("/v1/customers/not%20an%20id")
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["path", "customer_id"]
        typo = client.get("/v1/customers/C-01?realtme=false")
        assert typo.status_code == 422
        assert typo.json()["detail"][0]["loc"] == ["query", "realtme"]


def test_customer_metrics_are_the_runs_segments_cut_points_and_cohorts(
    published: Published,
) -> None:
    lines = gold_lines(published.scenario.before(CUTOFF))
    as_of = CUTOFF.astimezone(ZONE).date()
    population = base_profiles(lines)
    profiles = [scored(p, population, as_of) for p in population.values()]
    with TestClient(create_app(settings_for(published.lake))) as client:
        response = client.get("/v1/metrics/customers?cohorts=3")
        assert response.status_code == 200, response.text
        body = response.json()
        assert client.get("/v1/metrics/customers?cohorts=0").status_code == 422
        assert client.get("/v1/metrics/customers?cohort=3").status_code == 422

    assert body["customers"] == len(population)
    assert body["as_of_date"] == as_of.isoformat()
    assert [row["segment"] for row in body["segments"]] == [r.segment for r in RFM_SEGMENTS]
    for row in body["segments"]:
        members = [p for p in profiles if p["rfm_segment"] == row["segment"]]
        assert row["customers"] == len(members), row["segment"]
        assert row["orders"] == sum(p["orders"] for p in members)
        assert row["net_revenue"] == money(sum((p["net_revenue"] for p in members), start=0))
        assert row["share"] == len(members) / len(population)
    assert body["rfm_quintiles"] == [
        {
            "boundary": row["boundary"],
            "last_purchase_date": row["last_purchase_date"].isoformat(),
            "orders": row["orders"],
            "net_revenue": money(row["net_revenue"]),
        }
        for row in cut_points(population)
    ]
    all_cohorts = cohorts(lines, as_of)
    shown = [row for row in all_cohorts if row["cohort_month"] >= date(2026, 9, 1)]
    assert body["cohorts"] == [
        {**row, "cohort_month": row["cohort_month"].isoformat()} for row in shown
    ]
    for month in body["months"]:
        active = [
            row
            for row in all_cohorts
            if _month(row["cohort_month"], row["months_since_first"]).isoformat() == month["month"]
        ]
        assert month["new_customers"] == sum(
            r["active_customers"] for r in active if r["months_since_first"] == 0
        )
        assert month["returning_customers"] == sum(
            r["active_customers"] for r in active if r["months_since_first"] > 0
        )
    assert [m["month"] for m in body["months"]] == ["2026-09-01", "2026-10-01", "2026-11-01"]


def _month(cohort: date, months: int) -> date:
    index = cohort.year * 12 + cohort.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


class DiesHalfWay(ProfileStore):
    """The real store, whose load stops after its first batch of profiles."""

    def put_profiles(self, run_id: str, profiles: Any, expires_at: datetime) -> int:
        rows = list(profiles)
        super().put_profiles(run_id, rows[: len(rows) // 2], expires_at)
        raise ProfileStoreError("the load died half-way")


def test_a_load_that_dies_half_way_leaves_no_mix_of_runs_visible(
    published: Published,
    spark: SparkSession,
    moto_endpoint: str,
    name_prefix: str,
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    shutil.copytree(published.lake, lake)
    dynamo = settings_for(lake, moto_endpoint, name_prefix)
    bootstrap_resources(dynamo, lake_uri=dynamo.lake_uri)
    assert load_published_profiles(dynamo, None) == 0
    later = run_batch(dynamo.lake_uri, LATER_CUTOFF, settings=dynamo, spark=spark)

    dying = DiesHalfWay(dynamo)
    with pytest.raises(ProfileStoreError, match="half-way"):
        load_profiles(dynamo, later, dying)
    assert dying.loaded_run(later.run_id, datetime.now(UTC)) is None

    today = datetime.now(ZONE).date()
    expected = expected_lookups(published.scenario, LATER_CUTOFF, today)
    in_run = base_profiles(gold_lines(published.scenario.before(LATER_CUTOFF)))
    with TestClient(create_app(dynamo)) as client:
        for customer_id in in_run:
            body = lookup(client, customer_id)
            assert body["run_id"] == later.run_id
            assert body["source"] == "gold", "the unfinished run's items are not read"
            assert {k: v for k, v in body.items() if k not in RUN_FIELDS} == expected[customer_id]

        assert load_published_profiles(dynamo, later.run_id) == 0
        assert load_published_profiles(dynamo, later.run_id) == 0, "loading again is harmless"
        for customer_id in in_run:
            body = lookup(client, customer_id)
            assert body["source"] == "dynamodb"
            assert {k: v for k, v in body.items() if k not in RUN_FIELDS} == expected[customer_id]
    dying.close()

    missing_table = dynamo.model_copy(update={"customer_profiles_table": f"{name_prefix}-none"})
    assert load_published_profiles(missing_table, later.run_id) == PROFILES_NOT_LOADED_EXIT_CODE
