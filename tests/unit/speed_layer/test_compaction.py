from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from contract.compaction_lineage import compacted_inputs
from contract.lake import bronze_partition
from contract.lake_io import LakeFiles
from contract.settings import Settings
from salesflow.cli import main
from speed_layer import Batch, DeliveredRecord, land
from speed_layer.compaction import (
    PLAN_PREFIX,
    PLAN_STALE_AFTER,
    closed_hours,
    compact_hour,
    open_hours,
)
from tests.unit.speed_layer.wire_events import bronze_event_ids, wire_records

HOUR = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
PARTITION = bronze_partition(HOUR)


@pytest.fixture
def lake(tmp_path: Path) -> LakeFiles:
    return LakeFiles.open(str(tmp_path / "lake"), Settings())


def land_batches(
    lake: LakeFiles, make_event, batches: int, size: int = 20, at: datetime = HOUR, first: int = 0
) -> None:
    for n in range(first, first + batches):
        payloads = wire_records(make_event, size, at)
        land(Batch(f"shardId-0-{n}", tuple(DeliveredRecord(p, "s") for p in payloads)), lake)


def names(lake: LakeFiles) -> list[str]:
    return [Path(p).name for p in lake.list_files(PARTITION)]


def test_compaction_merges_an_hour_into_one_file_keeping_every_event_id(lake, make_event):
    land_batches(lake, make_event, 6)
    land(  # a redelivered SQS batch under another key: duplicates are kept, not "fixed"
        Batch("sqs-dup", (DeliveredRecord(wire_records(make_event, 1, HOUR)[0], "s"),) * 2), lake
    )
    before = Counter(bronze_event_ids(lake.location, lake.filesystem))

    result = compact_hour(lake, PARTITION)

    assert result is not None
    assert (result.inputs, result.outputs, result.rows) == (7, 1, 122)
    assert Counter(bronze_event_ids(lake.location, lake.filesystem)) == before
    (merged,) = names(lake)
    assert merged.startswith("compacted-")
    assert compact_hour(lake, PARTITION) is None, "idempotent: nothing left to merge"
    assert names(lake) == [merged]


def test_outputs_are_at_least_the_target_size(lake, make_event):
    land_batches(lake, make_event, 7)
    sizes = dict(lake.file_sizes(PARTITION))
    target = 2 * max(sizes.values()) + 1
    before = Counter(bronze_event_ids(lake.location, lake.filesystem))

    result = compact_hour(lake, PARTITION, target_bytes=target)

    assert result is not None
    assert result.outputs == 2
    assert Counter(bronze_event_ids(lake.location, lake.filesystem)) == before
    replaced = [compacted_inputs(lake, output) or () for output in lake.list_files(PARTITION)]
    assert all(sum(sizes[path] for path in inputs) >= target for inputs in replaced), (
        "each output replaces at least the target's bytes of small files (it is itself smaller:"
        " one row group compresses better than many)"
    )


def test_a_crash_after_the_outputs_is_finished_by_the_next_run(lake, make_event, monkeypatch):
    land_batches(lake, make_event, 4)
    before = Counter(bronze_event_ids(lake.location, lake.filesystem))
    real_delete = LakeFiles.delete

    def crash_after_first_delete(self, relative):
        real_delete(self, relative)
        raise SystemExit("killed while deleting the inputs")

    monkeypatch.setattr(LakeFiles, "delete", crash_after_first_delete)
    with pytest.raises(SystemExit):
        compact_hour(lake, PARTITION)
    monkeypatch.setattr(LakeFiles, "delete", real_delete)
    assert any(n.startswith(PLAN_PREFIX) for n in names(lake)), "the plan survives the crash"

    compact_hour(lake, PARTITION, now=datetime.now(UTC) + PLAN_STALE_AFTER)

    assert Counter(bronze_event_ids(lake.location, lake.filesystem)) == before
    assert len(names(lake)) == 1


def test_a_crash_before_the_outputs_are_complete_is_undone(lake, make_event, monkeypatch):
    land_batches(lake, make_event, 4)
    before = Counter(bronze_event_ids(lake.location, lake.filesystem))
    inputs = names(lake)

    def crash_while_merging(*args, **kwargs):
        raise SystemExit("killed while writing the output")

    monkeypatch.setattr("speed_layer.compaction._merge", crash_while_merging)
    with pytest.raises(SystemExit):
        compact_hour(lake, PARTITION)
    monkeypatch.undo()
    assert sorted(n for n in names(lake) if not n.startswith(PLAN_PREFIX)) == inputs

    compact_hour(lake, PARTITION, now=datetime.now(UTC) + PLAN_STALE_AFTER)

    assert Counter(bronze_event_ids(lake.location, lake.filesystem)) == before
    assert len(names(lake)) == 1


def test_only_closed_hours_are_compacted(lake, make_event):
    land_batches(lake, make_event, 2)
    end = HOUR.replace(minute=0) + timedelta(hours=1)
    assert closed_hours(lake, end + timedelta(minutes=14)) == []
    assert closed_hours(lake, end + timedelta(minutes=15)) == [PARTITION]
    assert closed_hours(lake, end + timedelta(days=3)) == [], "beyond the lookback"
    assert closed_hours(lake, end + timedelta(days=3), lookback=timedelta(days=4)) == [PARTITION]


def test_the_compact_command(lake, make_event, capsys):
    land_batches(lake, make_event, 3)
    assert main(["compact", "--lake", lake.location.uri, "--lookback-hours", "1000000"]) == 0
    assert "compacted 1 of 1 closed hours: 3 files into 1" in capsys.readouterr().out
    assert main(["compact", "--lake", lake.location.uri, "--hour", "2999-01-01T00"]) == 2


def test_a_younger_plan_is_another_run_at_work_and_its_hour_is_left_to_it(
    lake, make_event, monkeypatch
):
    land_batches(lake, make_event, 4)
    before = Counter(bronze_event_ids(lake.location, lake.filesystem))

    def killed_while_merging(*args, **kwargs):
        raise SystemExit("still writing the output")

    monkeypatch.setattr("speed_layer.compaction._merge", killed_while_merging)
    with pytest.raises(SystemExit):
        compact_hour(lake, PARTITION)
    monkeypatch.undo()
    files = names(lake)

    assert compact_hour(lake, PARTITION) is None, "a run a minute later leaves the hour alone"
    assert names(lake) == files
    assert compact_hour(lake, PARTITION, now=datetime.now(UTC) + PLAN_STALE_AFTER) is not None
    assert Counter(bronze_event_ids(lake.location, lake.filesystem)) == before


def test_the_open_hours_are_the_current_one_and_the_one_in_its_grace():
    at = datetime(2026, 11, 21, 10, 5, tzinfo=UTC)
    assert open_hours(at) == [bronze_partition(at - timedelta(hours=1)), bronze_partition(at)]
    assert open_hours(at + timedelta(minutes=10)) == [bronze_partition(at)]


def test_an_open_hour_is_merged_again_with_what_landed_since(lake, make_event):
    land_batches(lake, make_event, 3)
    first = compact_hour(lake, PARTITION)
    land_batches(lake, make_event, 2, first=3)
    before = Counter(bronze_event_ids(lake.location, lake.filesystem))

    second = compact_hour(lake, PARTITION)

    assert (first and first.inputs, second and second.inputs) == (3, 3), "2 new + 1 merged"
    assert Counter(bronze_event_ids(lake.location, lake.filesystem)) == before
    assert len(names(lake)) == 1


def test_the_compact_command_merges_the_open_hours_when_asked(lake, make_event, capsys):
    land_batches(lake, make_event, 3, at=datetime.now(UTC))
    assert main(["compact", "--lake", lake.location.uri]) == 0
    assert "compacted 0 of 0 closed hours" in capsys.readouterr().out
    assert main(["compact", "--lake", lake.location.uri, "--open-hours"]) == 0
    assert "0 files into 0" in capsys.readouterr().out, "files younger than a minute wait"
    assert (
        main(["compact", "--lake", lake.location.uri, "--open-hours", "--settle-seconds", "0"]) == 0
    )
    assert "3 files into 1" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["speed", "compact"])
def test_a_bad_lake_uri_is_refused_with_exit_code_2(command):
    assert main([command, "--lake", "ftp://example/lake"]) == 2


def test_an_output_names_its_inputs_in_its_footer(lake, make_event):
    land_batches(lake, make_event, 3)
    inputs = lake.list_files(PARTITION)

    compact_hour(lake, PARTITION)

    (output,) = lake.list_files(PARTITION)
    assert compacted_inputs(lake, output) == tuple(inputs)
    assert compacted_inputs(lake, f"{PARTITION}/compacted-gone-0.parquet") is None


def test_the_compact_command_repeats_until_stopped(lake, make_event):
    """`salesflow up` runs `compact --open-hours --every N` as a process it stops with SIGTERM."""
    at = datetime.now(UTC)
    land_batches(lake, make_event, 3, at=at)
    command = [sys.executable, "-m", "salesflow", "compact", "--lake", lake.location.uri]
    process = subprocess.Popen(
        [*command, "--open-hours", "--settle-seconds", "0", "--every", "0.2"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "3 files into 1" in process.stdout.readline()
        land_batches(lake, make_event, 2, at=at, first=3)
        assert "3 files into 1" in process.stdout.readline(), "2 new + 1 merged, next round"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert len(lake.list_files(bronze_partition(at))) == 1
    assert main(["compact", "--lake", lake.location.uri, "--every", "0"]) == 2


def test_outputs_gather_the_small_batches_into_row_groups(lake, make_event, monkeypatch):
    """A row group per landed batch compresses each column chunk alone: 2.6x the bytes."""
    monkeypatch.setattr("speed_layer.compaction.ROW_GROUP_ROWS", 50)
    land_batches(lake, make_event, 6)

    compact_hour(lake, PARTITION)

    (output,) = lake.list_files(PARTITION)
    with lake.filesystem.open_input_file(lake.location.path(output)) as handle:
        metadata = pq.ParquetFile(handle).metadata
    groups = [metadata.row_group(n).num_rows for n in range(metadata.num_row_groups)]
    assert groups == [60, 60], "three batches of 20 reach 50 rows, twice"
