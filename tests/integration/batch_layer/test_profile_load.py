"""The profile load into the moto server's DynamoDB: items keyed by run, then the run's marker
(docs/adr/0013). Real boto3 clients over HTTP; the run folder is written with pyarrow."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from batch_layer.cli import _profiles_hook, add_arguments
from batch_layer.profile_load import (
    PROFILES_NOT_LOADED_EXIT_CODE,
    load_profiles,
    load_published_profiles,
)
from contract.aws import aws_client
from contract.customers import CUSTOMER_PROFILES, CUSTOMER_PROFILES_SCHEMA
from contract.lake import PUBLISHED_POINTER, gold_run
from contract.profile_store import (
    EXPIRY_ATTRIBUTE,
    PROFILE_RETENTION,
    RUN_MARKER,
    ProfileStore,
)
from contract.publication import Publication
from contract.settings import Settings
from devstack.resources import bootstrap_resources

PROFILES = 60
"""More than two BatchWriteItem calls' worth."""


def profile_rows(count: int, variant: int = 0) -> list[dict[str, Any]]:
    rows = []
    for number in range(count):
        rows.append(
            {
                "customer_id": f"C-{number:04d}",
                "customer_segment": None if number % 4 == 0 else "consumer",
                "customer_city": "Recife",
                "customer_state": None,
                "first_purchase_at": datetime(2026, 3, 1, 12, 30, 15, 250_000, tzinfo=UTC),
                "last_purchase_at": datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC),
                "first_purchase_date": date(2026, 3, 1),
                "last_purchase_date": date(2026, 11, 20),
                "tenure_days": 265,
                "recency_days": number,
                "orders": number + 1 + variant,
                "returns": number % 3,
                "units": 10 * number - 4,
                "net_revenue": Decimal("-10.50") + number,
                "average_ticket": Decimal("100.10"),
                "preferred_channel": "pos",
                "preferred_category": None if number % 5 == 0 else "Notebooks",
                "channel_orders": [("pos", number + 1), ("ecommerce", 0)],
                "category_net_revenue": [] if number % 5 == 0 else [("Notebooks", Decimal("1.00"))],
                "recency_score": 1 + number % 5,
                "frequency_score": 3,
                "monetary_score": 5,
                "rfm_segment": "At risk",
                "as_of_date": date(2026, 11, 21),
            }
        )
    return rows


def publish_run(lake: Path, run_id: str, rows: list[dict[str, Any]]) -> Publication:
    folder = f"{gold_run(run_id)}/{CUSTOMER_PROFILES}"
    (lake / folder).mkdir(parents=True)
    table = pa.Table.from_pylist(rows, schema=CUSTOMER_PROFILES_SCHEMA)
    half = len(rows) // 2
    pq.write_table(table.slice(0, half), lake / folder / "part-00000.parquet")
    pq.write_table(table.slice(half), lake / folder / "part-00001.parquet")
    (lake / folder / "_SUCCESS").write_text("")
    publication = Publication(
        run_id=run_id,
        cutoff=datetime(2026, 11, 21, 3, tzinfo=UTC),
        published_at=datetime.now(UTC),
        tables={CUSTOMER_PROFILES: folder, "sales_wide": f"{gold_run(run_id)}/sales_wide"},
        input_counts={},
        output_counts={CUSTOMER_PROFILES: len(rows)},
        quality_counts={},
        duplicates=0,
        duration_seconds=1.0,
    )
    (lake / PUBLISHED_POINTER).write_text(publication.model_dump_json())
    return publication


@pytest.fixture
def settings(moto_settings: Settings) -> Settings:
    configured = moto_settings.model_copy(update={"customer_profile_store": "dynamodb"})
    bootstrap_resources(configured, lake_uri=configured.lake_uri)
    Path(configured.lake_uri, "gold").mkdir(parents=True)
    return configured


def items_in_table(settings: Settings) -> list[dict[str, Any]]:
    client = aws_client(settings, "dynamodb")
    pages = client.get_paginator("scan").paginate(TableName=settings.customer_profiles_table)
    return [item for page in pages for item in page["Items"]]


def profiles_without_expiry(settings: Settings) -> list[dict[str, Any]]:
    items = [
        {k: v for k, v in item.items() if k != EXPIRY_ATTRIBUTE}
        for item in items_in_table(settings)
        if item["customer_id"]["S"] != RUN_MARKER
    ]
    return sorted(items, key=json.dumps)


def as_stored(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "channel_orders": dict(row["channel_orders"]),
        "category_net_revenue": dict(row["category_net_revenue"]),
    }


def test_every_profile_of_the_published_run_is_stored_then_marked_and_reads_back_as_written(
    settings: Settings,
) -> None:
    rows = profile_rows(PROFILES)
    publication = publish_run(Path(settings.lake_uri), "run-a", rows)
    assert load_published_profiles(settings, publication.run_id) == 0

    store = ProfileStore(settings)
    try:
        marker = store.loaded_run("run-a", datetime.now(UTC))
        assert marker is not None
        assert marker.profiles == PROFILES
        assert marker.expires_at < marker.loaded_at + PROFILE_RETENTION
        for row in rows:
            assert store.profile(row["customer_id"], "run-a") == as_stored(row)
        assert store.profile("C-9999", "run-a") is None
        assert store.profile("C-0001", "run-b") is None
    finally:
        store.close()
    assert len(items_in_table(settings)) == PROFILES + 1


def test_loading_again_writes_the_same_items_and_another_run_keeps_its_own(
    settings: Settings,
) -> None:
    lake = Path(settings.lake_uri)
    publish_run(lake, "run-a", profile_rows(PROFILES))
    assert load_published_profiles(settings, None) == 0
    first = profiles_without_expiry(settings)
    assert load_published_profiles(settings, None) == 0
    assert profiles_without_expiry(settings) == first, "the same items, their expiry renewed"
    assert len(items_in_table(settings)) == PROFILES + 1, "one marker"

    publish_run(lake, "run-b", profile_rows(PROFILES, variant=100))
    assert load_published_profiles(settings, "run-b") == 0
    store = ProfileStore(settings)
    try:
        assert store.profile("C-0007", "run-a")["orders"] == 8  # type: ignore[index]
        assert store.profile("C-0007", "run-b")["orders"] == 108  # type: ignore[index]
    finally:
        store.close()


def test_an_unfinished_or_expired_load_vouches_for_nothing(settings: Settings) -> None:
    lake = Path(settings.lake_uri)
    rows = profile_rows(PROFILES)
    publication = publish_run(lake, "run-a", rows)
    store = ProfileStore(settings)
    try:
        now = datetime.now(UTC)
        store.put_profiles("run-a", rows[:30], now + PROFILE_RETENTION)
        assert store.loaded_run("run-a", now) is None, "half the profiles and no marker"
        assert store.profile("C-0001", "run-a") is not None, "its items exist all the same"

        store.mark_loaded("run-a", len(rows), now - PROFILE_RETENTION)
        assert store.loaded_run("run-a", now) is None, "a marker past its expiry"

        loaded = load_profiles(settings, publication, store)
        assert store.loaded_run("run-a", now) == loaded
    finally:
        store.close()


def test_a_load_that_cannot_finish_leaves_the_run_published_and_exits_4(
    settings: Settings,
) -> None:
    lake = Path(settings.lake_uri)
    assert load_published_profiles(settings, None) == 0, "nothing published: nothing to load"

    publication = publish_run(lake, "run-a", profile_rows(PROFILES))
    missing = settings.model_copy(update={"customer_profiles_table": "no-such-table"})
    assert load_published_profiles(missing, "run-a") == PROFILES_NOT_LOADED_EXIT_CODE

    miscounted = publication.model_copy(update={"output_counts": {CUSTOMER_PROFILES: 61}})
    (lake / PUBLISHED_POINTER).write_text(miscounted.model_dump_json())
    assert load_published_profiles(settings, "run-a") == PROFILES_NOT_LOADED_EXIT_CODE
    store = ProfileStore(settings)
    try:
        assert store.loaded_run("run-a", datetime.now(UTC)) is None
    finally:
        store.close()

    older = publication.model_copy(update={"tables": {"sales_wide": "gold/runs/run-a/sales_wide"}})
    (lake / PUBLISHED_POINTER).write_text(older.model_dump_json())
    assert load_published_profiles(settings, "run-a") == 0, "a run from before customer tables"


def test_the_job_loads_profiles_only_where_the_deployment_has_the_store() -> None:
    assert _profiles_hook(Settings()) is None
    assert _profiles_hook(Settings(customer_profile_store="dynamodb")) is load_published_profiles
    parser = argparse.ArgumentParser()
    add_arguments(parser, default_master="none")
    args = parser.parse_args(["load-profiles", "--lake", "s3://lake-bucket"])
    assert (args.action, args.lake) == ("load-profiles", "s3://lake-bucket")
