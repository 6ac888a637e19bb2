from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from contract.lake import bronze_partition
from contract.lake_io import LakeFiles
from speed_layer import Batch, DeliveredRecord, land
from speed_layer.compaction import compact_hour
from tests.integration.speed_layer.stack import create_resources, s3_lake_uri
from tests.unit.speed_layer.wire_events import bronze_event_ids, wire_records

HOUR = datetime(2026, 11, 20, 22, 10, tzinfo=UTC)


def test_compaction_on_s3_keeps_the_multiset_of_event_ids(moto_settings, make_event):
    create_resources(moto_settings, shards=1)
    lake = LakeFiles.open(s3_lake_uri(moto_settings), moto_settings)
    for n in range(5):
        records = tuple(DeliveredRecord(p, "s") for p in wire_records(make_event, 10, HOUR))
        land(Batch(f"shardId-000000000000-{n}", records), lake)
    before = Counter(bronze_event_ids(lake.location, lake.filesystem))

    result = compact_hour(lake, bronze_partition(HOUR))

    assert result is not None
    assert (result.inputs, result.outputs, result.rows) == (5, 1, 50)
    assert Counter(bronze_event_ids(lake.location, lake.filesystem)) == before
    assert len(lake.list_files(bronze_partition(HOUR))) == 1
