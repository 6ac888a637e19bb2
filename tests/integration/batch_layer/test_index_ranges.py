"""The incremental run reads the event-id index only within its new ids' ranges: every entry one
of them can match is kept (conflict sales `<id>~<source>` too), and the ranges reach Parquet, so
the rows outside them are skipped unread."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pyspark.sql import SparkSession
from pyspark.sql import functions as sf

from batch_layer.index_ranges import IdRange, new_id_ranges, within
from bench.spark_scans import rows_read_by_scans
from contract.content_digest import CONFLICT_SEPARATOR

ID_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.:-"
ids = st.text(alphabet=ID_CHARACTERS, min_size=1, max_size=8)


def _base(entry: str) -> str:
    return entry.split(CONFLICT_SEPARATOR, 1)[0]


@given(bounds=st.lists(ids, min_size=2, max_size=2), data=st.data())
def test_every_id_in_a_range_and_its_conflict_sales_sort_within_its_bounds(
    bounds: list[str], data: st.DataObject
) -> None:
    """Ids drawn at random, and prefixes of either bound (whose conflict sales sort after the
    range's last id when they are shorter ones of it)."""
    first, last = sorted(bounds)
    prefixes = [bound[:n] for bound in (first, last) for n in range(1, len(bound) + 1)]
    entry = data.draw(st.one_of(ids, st.sampled_from(prefixes)))
    source = data.draw(st.sampled_from(["pos", "web"]))
    bound = IdRange(first, last)
    for stored in (entry, f"{entry}{CONFLICT_SEPARATOR}{source}"):
        if first <= _base(stored) <= last:
            assert first <= stored < bound.end()


def test_a_shorter_ids_conflict_sale_is_below_the_bound_though_above_the_last_id() -> None:
    bound = IdRange("AA", "AB1")
    assert "AB~web" > "AB1"
    assert bound.end() > "AB~web"
    assert bound.end() <= "AC"


@settings(max_examples=15, deadline=None)
@given(
    index=st.sets(ids, max_size=60),
    new=st.sets(ids, min_size=1, max_size=20),
    conflicts=st.sets(ids, max_size=10),
    count=st.integers(min_value=1, max_value=6),
)
def test_the_entries_kept_hold_every_entry_a_new_id_can_match(
    spark: SparkSession, index: set[str], new: set[str], conflicts: set[str], count: int
) -> None:
    stored = sorted(index | {f"{i}{CONFLICT_SEPARATOR}web" for i in conflicts})
    frame = spark.createDataFrame([(entry,) for entry in stored], "event_id string")
    ranges = new_id_ranges(spark.createDataFrame([(i,) for i in new], "event_id string"), count)
    assert len(ranges) <= count
    assert all(any(r.first <= i <= r.last for r in ranges) for i in new)
    kept = {row["event_id"] for row in within(frame, ranges).collect()}
    assert {entry for entry in stored if _base(entry) in new} <= kept


def test_no_new_ids_keep_no_entry(spark: SparkSession) -> None:
    frame = spark.createDataFrame([("A",), ("B",)], "event_id string")
    assert within(frame, []).count() == 0


def test_the_ranges_reach_parquet_and_the_rows_outside_them_are_not_read(
    spark: SparkSession, tmp_path: Path
) -> None:
    """One index part of 200,000 sorted ids; new ids in two narrow places of it. Parquet's page
    statistics let the reader return only the pages around them."""
    part = str(tmp_path / "event_ids")
    spark.range(200_000).select(sf.format_string("%08d", "id").alias("event_id")).coalesce(
        1
    ).sortWithinPartitions("event_id").write.option("parquet.page.size", 64 * 1024).parquet(part)
    new = spark.createDataFrame(
        [(f"{n:08d}",) for n in [*range(1_000, 1_050), *range(150_000, 150_020)]],
        "event_id string",
    )
    kept = within(spark.read.parquet(part), new_id_ranges(new))
    assert kept.count() == 70
    read = rows_read_by_scans(kept)
    assert 70 <= read < 200_000 // 4
