from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from contract.bronze import BRONZE_SCHEMA, bronze_table, conformed
from contract.content_digest import CONTENT_DIGEST, content_digest
from tests.unit.speed_layer.wire_events import ingested_event

NOON = datetime(2026, 11, 21, 12, 0, 5, tzinfo=UTC)


def test_the_column_wise_table_equals_the_table_of_the_models_dumps(make_event):
    item = {"sku": "CABLE-HDMI-2M", "quantity": 3, "unit_price": "10.00"}
    events = [
        ingested_event(make_event, NOON),
        ingested_event(make_event, NOON, kind="return"),
        ingested_event(make_event, NOON, customer_id=None, total=None, items=[item] * 4),
    ]
    table = bronze_table(events)

    assert table.schema.equals(BRONZE_SCHEMA)
    assert table.equals(
        pa.Table.from_pylist(
            [{**e.model_dump(), CONTENT_DIGEST: content_digest(e)} for e in events],
            schema=BRONZE_SCHEMA,
        )
    )
    assert table.column("occurred_at")[0].as_py() == events[0].occurred_at
    assert [len(items) for items in table.column("items").to_pylist()] == [2, 1, 4]


def test_an_empty_table_has_the_bronze_schema():
    table = bronze_table([])
    assert table.num_rows == 0
    assert table.schema.equals(BRONZE_SCHEMA)


def test_a_file_landed_before_the_digest_reads_it_as_null(make_event):
    events = [ingested_event(make_event, NOON)]
    earlier = bronze_table(events).drop_columns([CONTENT_DIGEST])
    table = conformed(earlier)
    assert table.schema.equals(BRONZE_SCHEMA)
    assert table.column(CONTENT_DIGEST).to_pylist() == [None]
    assert table.drop_columns([CONTENT_DIGEST]).equals(earlier)
