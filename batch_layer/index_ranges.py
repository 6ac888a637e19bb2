"""The part of the event-id index an incremental run's new ids can match, as ranges of ids.

Every incremental run looks its new copies up in the index of every sale silver holds (ADR 0018),
and the index grows with history: about 20 bytes per event, 680 GB at a year of 100M events a
day. The lookup is an equality join, so an index entry can matter only if its id (or, for a
conflict sale `<event_id>~<source>`, the id before `~`, ADR 0021) is one of the new ids. The run
splits its new ids into a few sorted ranges and reads only the index entries that fall in one.

Each run's index part is sorted by id (`silver_store.write_part`), so Parquet's row-group and page
statistics let the reader skip whatever lies outside every range without reading it. How much
that saves depends on the ids, not on this code: time-ordered ids (ULIDs, UUIDv7, zero-padded
receipt numbers; the contract's example is a ULID) put a night's ids next to the recent ones,
and a run reads about the days its late events reach; random ids (UUIDv4) spread every range
over the whole index, and a run reads all of it, as before. Either way the ranges cover every
new id, so the lookup is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as sf

from contract.content_digest import CONFLICT_SEPARATOR

RANGE_COUNT = 64
"""How many ranges a run's new ids are split into: enough that a few very late ids do not
stretch one range over months of the index, few enough that the filter stays a small
expression every row group's statistics are checked against."""

_AFTER_SEPARATOR = chr(ord(CONFLICT_SEPARATOR) + 1)
"""`~` sorts after every character an id may hold (`contract.event.EventId`, ASCII letters,
digits and `_.:-`), so `<id>~<source>` sorts after `<id>` and before `<id>` followed by this."""


@dataclass(frozen=True, order=True)
class IdRange:
    """New ids from `first` to `last`, both included."""

    first: str
    last: str

    def end(self) -> str:
        """A bound above every index entry whose id, or whose id before `~`, is in the range.

        `last` followed by the character after `~` is not enough: the conflict sale of a shorter
        id in the range (`AB~web` for a range up to `AB1`) sorts after it. The bound is `last`'s
        shortest prefix that is not below `first`, followed by that character: an id in the range
        either starts with that prefix, or differs from `last` earlier by a smaller character,
        so it and its conflict sales sort below the bound."""
        prefix = next(
            self.last[:length]
            for length in range(len(self.last) + 1)
            if self.last[:length] >= self.first
        )
        return prefix + _AFTER_SEPARATOR


def new_id_ranges(ids: DataFrame, count: int = RANGE_COUNT) -> list[IdRange]:
    """`ids`' `event_id` values as at most `count` sorted ranges, each the least and greatest id
    of one range partition (so the ranges cover every id, however the partitions fall)."""
    partitioned = ids.select("event_id").repartitionByRange(count, "event_id")
    bounds = (
        partitioned.groupBy(sf.spark_partition_id().alias("partition"))
        .agg(sf.min("event_id").alias("first"), sf.max("event_id").alias("last"))
        .where(sf.col("first").isNotNull())
        .collect()
    )
    return sorted(IdRange(row["first"], row["last"]) for row in bounds)


def within(index: DataFrame, ranges: list[IdRange]) -> DataFrame:
    """The entries of `index` (an `event_id` column) that the ranges' ids can match: every entry
    whose id, or id before `~`, is in a range, and few others. The comparisons are on the stored
    column, so Parquet's statistics skip the rest unread."""
    return index.where(_in_any(sf.col("event_id"), ranges))


def _in_any(column: Column, ranges: list[IdRange]) -> Column:
    if not ranges:
        return sf.lit(False)
    return reduce(or_, [(column >= r.first) & (column < r.end()) for r in ranges])
