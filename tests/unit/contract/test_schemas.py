from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from contract.arrow_schema import MONEY_TYPE, TIMESTAMP_TYPE
from contract.bronze import BRONZE_SCHEMA, bronze_table
from contract.content_digest import CONTENT_DIGEST, content_digest
from contract.event import CONTRACT_VERSION, IngestedSaleEvent, SaleEvent
from contract.json_schema import SCHEMA_FILE, published_versions, render, schema_file
from contract.lake import LakeLocation, bronze_partition
from contract.names import ResourceNames
from contract.wire import encode


def test_exported_json_schema_is_current():
    assert SCHEMA_FILE.read_text() == render(), "run: python -m contract.json_schema"


def _objects(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The event object and every object definition, by name."""
    return {"SaleEvent": schema, **schema.get("$defs", {})}


def test_every_published_version_is_a_subset_of_the_current_schema():
    current = json.loads(SCHEMA_FILE.read_text())
    assert published_versions()[-1] == CONTRACT_VERSION
    for version in published_versions()[:-1]:
        older = json.loads(schema_file(version).read_text())
        assert version.split(".")[0] == CONTRACT_VERSION.split(".")[0], "a major needs /v2/"
        for name, definition in _objects(older).items():
            newer = _objects(current)[name]
            for prop, prop_schema in definition.get("properties", {}).items():
                assert newer["properties"][prop] == prop_schema, f"{version}: {name}.{prop} changed"
            assert set(newer.get("required", [])) == set(definition.get("required", [])), (
                f"{version}: {name} requires new fields"
            )
            if "enum" in definition:
                assert set(definition["enum"]) <= set(newer["enum"])


def test_a_v1_event_is_stored_exactly_as_before(make_event):
    payload = make_event()
    event = SaleEvent.model_validate_json(json.dumps(payload))
    assert (event.terminal_id, event.salesperson_id, event.attributes) == (None, None, None)
    assert all((i.promotion_id, i.coupon_code) == (None, None) for i in event.items)
    assert json.loads(
        encode(IngestedSaleEvent.accept(event, ingested_at=datetime.now(UTC), source="pos"))
    ).keys() == {*payload.keys(), "ingested_at", "source"}


def test_bronze_schema_follows_the_model():
    assert BRONZE_SCHEMA.names == [*IngestedSaleEvent.model_fields, CONTENT_DIGEST]
    assert BRONZE_SCHEMA.field("total").type == MONEY_TYPE
    assert BRONZE_SCHEMA.field("total").nullable
    assert BRONZE_SCHEMA.field("occurred_at").type == TIMESTAMP_TYPE
    item = BRONZE_SCHEMA.field("items").type.value_type
    assert item.field("unit_price").type == MONEY_TYPE
    assert item.field("quantity").type == pa.int32()


def test_bronze_rows_round_trip_through_parquet(make_event, tmp_path):
    event = SaleEvent.model_validate_json(json.dumps(make_event()))
    ingested = IngestedSaleEvent.accept(
        event, ingested_at=datetime(2026, 11, 21, 16, 45, 13, 123456, tzinfo=UTC), source="pos"
    )
    pq.write_table(bronze_table([ingested]), tmp_path / "f.parquet")
    (row,) = pq.read_table(tmp_path / "f.parquet").to_pylist()
    assert row["items"][0]["discount"] == ingested.items[0].discount
    assert row["occurred_at"] == ingested.occurred_at
    assert row.pop(CONTENT_DIGEST) == content_digest(ingested)
    assert IngestedSaleEvent.model_validate(row, strict=False) == ingested


def test_partitions_are_by_utc_ingestion_hour():
    moment = datetime.fromisoformat("2026-11-21T23:30:00-03:00")
    assert bronze_partition(moment) == "bronze/sales_events/ingest_date=2026-11-22/ingest_hour=02"


def test_lake_uris():
    assert LakeLocation.parse("s3://bucket/some/prefix/").path("gold") == "bucket/some/prefix/gold"
    local = LakeLocation.parse("/tmp/lake")
    assert local.scheme == "file"
    assert local.uri_of("gold/_published.json") == "/tmp/lake/gold/_published.json"


def test_names_derive_from_the_prefix():
    names = ResourceNames.for_prefix("acme-sales")
    assert names.stream == "acme-sales-sales-events"
    assert names.glue_database == "acme_sales"
