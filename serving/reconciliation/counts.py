"""The merged view's counts for reconciliation, with gold's part asked once per published run.

The dashboard asks for a week of store-days on every refresh. Gold's share of those counts
changes only when a run is published, yet on Athena it is most of what the query reads (every
gold day of the week, against today's real-time lines: docs/cost.md), while the real-time lines
change with every landing. So each count is asked of the merged view's two sides apart, gold
(`sales_batch`) once per run and per query text, the real-time lines (`sales_realtime_unbatched`)
every time, and the rows are added up by their keys: the merged view is the UNION ALL of the two,
and an event is on one side only. With a dedup window (ADR 0022), an event counted on both sides
counts twice here, as its amount already does in every other answer.

Both parts must come from one run: `ReconciliationService.compute` asks again when a publication
lands between them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from serving.engines.base import QueryEngine
from serving.published_run import PublishedRun
from serving.queries import BATCH_LINES, REALTIME_LINES

Row = dict[str, Any]
SqlOver = Callable[[str], str]
"""A query's SQL over a given view: the same text is asked of each side of the merged view."""


class MergedCounts:
    def __init__(self, engine: QueryEngine, *, max_kept: int = 256) -> None:
        self.engine = engine
        self._max_kept = max_kept
        self._run_id: str | None = None
        self._gold: OrderedDict[str, list[Row]] = OrderedDict()
        self._lock = threading.Lock()
        self.gold_queries = 0
        """How many times gold's part was asked of the engine: for tests and metrics."""

    def rows(self, run: PublishedRun, sql_over: SqlOver, keys: tuple[str, ...]) -> list[Row]:
        """The query's rows over the merged view of `run`: each key's other columns summed over
        gold's rows and the real-time lines' rows."""
        gold = self._gold_rows(run, sql_over(BATCH_LINES))
        realtime = self.engine.query(sql_over(REALTIME_LINES)).rows
        return added_up([*gold, *realtime], keys)

    def _gold_rows(self, run: PublishedRun, sql: str) -> list[Row]:
        with self._lock:
            if run.run_id != self._run_id:
                self._gold.clear()
                self._run_id = run.run_id
            kept = self._gold.get(sql)
            if kept is not None:
                self._gold.move_to_end(sql)
                return kept
        rows = self.engine.query(sql).rows
        with self._lock:
            self.gold_queries += 1
            if run.run_id == self._run_id:
                self._gold[sql] = rows
                while len(self._gold) > self._max_kept:
                    self._gold.popitem(last=False)
        return rows


def added_up(rows: Iterable[Row], keys: tuple[str, ...]) -> list[Row]:
    """One row per distinct `keys`, its other columns summed (NULL only where every row's is)."""
    totals: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        key = tuple(row[name] for name in keys)
        total = totals.get(key)
        if total is None:
            totals[key] = dict(row)
            continue
        for name, value in row.items():
            if name not in keys and value is not None:
                total[name] = value if total[name] is None else total[name] + value
    return list(totals.values())
