"""The local engine's real-time side merged file by file equals a full re-materialization, after
random sequences of new files, redelivered copies (later and earlier than the stored winner),
copies sent again claiming another day than their event's (gold may count it on that one), CSV
uploads, compactions (as `salesflow compact` does them, of files the side holds or of files
landed since the last refresh, and without the footer naming their inputs, as older compactions
wrote them), batch publications and reference loads."""

from __future__ import annotations

import copy
import random
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from batch_layer.reference.versions import load_version
from contract.bronze import bronze_table
from contract.compaction_lineage import with_lineage
from contract.event import IngestedSaleEvent
from contract.lake_io import LakeFiles
from contract.reference import reference_table
from contract.settings import Settings
from serving.engines.duckdb_engine import DuckDBEngine
from speed_layer.compaction import compact_hour
from tests.conftest import load_event
from tests.unit.serving.sample_lake import (
    PRODUCTS,
    STORES,
    Copy,
    expected_lines,
    ingested,
    write_csv_upload,
    write_gold,
    write_reference,
)

TZ = "America/Sao_Paulo"
START = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ACTIONS = (
    "land",
    "land",
    "later_copy",
    "earlier_copy",
    "other_day_copy",
    "conflicting_copy",
    "earlier_conflicting_copy",
    "csv",
    "compact",
    "land_and_compact",
    "compact_without_lineage",
    "publish",
    "reference",
)
REALTIME = "SELECT * FROM sales_realtime_unbatched ORDER BY event_id, line_number"
RECOMPUTED = "SELECT * FROM sales_realtime_unbatched_live ORDER BY event_id, line_number"
"""The view the side is materialized from, computed over every file at query time."""


class Lake:
    """A lake the test changes step by step, remembering every copy it delivered."""

    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.clock = START
        self.copies: list[Copy] = []
        self.runs = 0
        write_reference(root)

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=self.rng.randint(1, 400))
        return self.clock

    def new_event(self) -> IngestedSaleEvent:
        payload = copy.deepcopy(load_event("sale"))
        payload.update(
            event_id=f"EV{uuid.uuid4().hex.upper()}",
            store_id=self.rng.choice([*(s.store_id for s in STORES), "NOWHERE-1"]),
            total=None,
            occurred_at=(self.clock - timedelta(hours=self.rng.randint(0, 30))).isoformat(),
        )
        payload["items"] = [
            {
                "sku": self.rng.choice([p.sku for p in PRODUCTS] + ["NEW-SKU"]),
                "quantity": 1,
                "unit_price": "10.00",
            }
            for _ in range(self.rng.randint(1, 3))
        ]
        return ingested(payload, self.tick(), source=self.rng.choice(["pos-a", "pos-b"]))

    def bronze_file(self, events: list[IngestedSaleEvent], hour: datetime | None = None) -> None:
        """One speed-layer file in the ingest hour of `hour` (default: of the first event)."""
        folder = self.root / "bronze" / "sales_events"
        hour = hour or events[0].ingested_at
        partition = folder / f"ingest_date={hour:%Y-%m-%d}" / f"ingest_hour={hour:%H}"
        partition.mkdir(parents=True, exist_ok=True)
        pq.write_table(bronze_table(events), partition / f"{uuid.uuid4().hex}.parquet")
        self.copies += [Copy(e) for e in events]

    def step(self, action: str) -> None:
        if action == "land":
            self.bronze_file([self.new_event() for _ in range(self.rng.randint(1, 4))])
        elif action in ("later_copy", "earlier_copy") and self.copies:
            original = self.rng.choice(self.copies).event
            shift = timedelta(seconds=1 if action == "later_copy" else -1)
            again = original.model_copy(update={"ingested_at": original.ingested_at + shift})
            self.bronze_file([again])
        elif action == "other_day_copy" and self.copies:
            original = self.rng.choice(self.copies).event
            moved = original.occurred_at - timedelta(days=self.rng.randint(1, 2))
            again = original.model_copy(update={"occurred_at": moved, "ingested_at": self.tick()})
            self.bronze_file([again])
        elif action in ("conflicting_copy", "earlier_conflicting_copy") and self.copies:
            original = self.rng.choice(self.copies).event
            shift = timedelta(seconds=1 if action == "conflicting_copy" else -1)
            items = [
                item.model_copy(update={"quantity": item.quantity + 1}) for item in original.items
            ]
            other = original.model_copy(
                update={
                    "source": self.rng.choice(["pos-a", "pos-b", "pos-c"]),
                    "items": items,
                    "ingested_at": original.ingested_at + shift,
                }
            )
            self.bronze_file([other])
        elif action == "csv":
            events = [self.new_event() for _ in range(2)]
            if self.copies:
                events.append(self.rng.choice(self.copies).event)
            uploaded = {"ingested_at": self.tick(), "source": f"csv:upload-{uuid.uuid4().hex}"}
            events = [event.model_copy(update=uploaded) for event in events]
            write_csv_upload(self.root, events)
            self.copies += [Copy(e, via_csv=True) for e in events]
        elif action == "compact":
            self.compact(every_hour=False)
        elif action == "land_and_compact":
            self.step("land")
            self.compact(every_hour=True)
        elif action == "compact_without_lineage":
            self.compact_without_lineage()
        elif action == "publish":
            cutoff = self.tick()
            self.runs += 1
            before = [c for c in self.copies if c.event.ingested_at < cutoff]
            write_gold(self.root, expected_lines(before, TZ), cutoff, f"run-{self.runs}")
        elif action == "reference":
            product = {
                "sku": "NEW-SKU",
                "name": "New",
                "category": "launches",
                "unit_cost": Decimal("4.00"),
            }
            table = reference_table("products")
            load_version(
                LakeFiles.open(str(self.root), Settings(lake_uri=str(self.root))),
                table,
                pa.Table.from_pylist([product], schema=table.schema()),
                effective_from=self.tick(),
                file_name="launch.csv",
            )

    def compact(self, *, every_hour: bool) -> None:
        """Hours' small files merged by `salesflow compact`'s own code (some hours, or all)."""
        files = LakeFiles.open(str(self.root), Settings(lake_uri=str(self.root)))
        for hour in sorted((self.root / "bronze" / "sales_events").glob("*/*")):
            if every_hour or self.rng.random() < 0.5:
                compact_hour(files, str(hour.relative_to(self.root)))

    def compact_without_lineage(self) -> None:
        """An hour's files merged into one whose footer does not name them, as compaction wrote
        them before it did: the engine cannot tell what the file replaced."""
        for hour in (self.root / "bronze" / "sales_events").glob("*/*"):
            files = sorted(hour.glob("*.parquet"))
            if len(files) > 1:
                merged = pa.concat_tables([pq.read_table(f) for f in files])
                pq.write_table(merged, hour / f"compacted-{uuid.uuid4().hex}.parquet")
                for path in files:
                    path.unlink()
                return


def _rows(engine: DuckDBEngine) -> list[dict[str, Any]]:
    engine.refresh()
    return engine.query(REALTIME).rows


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 10_000),
    actions=st.lists(st.sampled_from(ACTIONS), min_size=4, max_size=14),
)
# Two copies of one id from one source at the same instant with other content (as one request
# may send them): the smaller digest wins, in the merge and the recomputation alike.
@example(seed=366, actions=["earlier_conflicting_copy", "land", "earlier_copy", "land"])
def test_merging_new_files_equals_rebuilding_the_side(seed: int, actions: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        lake = Lake(Path(folder) / "lake", seed)
        settings_ = Settings(lake_uri=str(lake.root), reporting_tz=TZ)
        incremental = DuckDBEngine(settings_)
        fresh = DuckDBEngine(settings_)
        try:
            lake.step("land")
            _rows(incremental)
            for action in actions:
                lake.step(action)
                assert _rows(incremental) == incremental.query(RECOMPUTED).rows, action
            assert _rows(incremental) == _rows(fresh)
        finally:
            incremental.close()
            fresh.close()


def test_a_new_file_is_merged_and_a_compaction_costs_nothing(tmp_path: Path, caplog: Any) -> None:
    lake = Lake(tmp_path / "lake", seed=7)
    engine = DuckDBEngine(Settings(lake_uri=str(lake.root), reporting_tz=TZ))
    try:
        lake.step("land")
        first = len(_rows(engine))
        lake.bronze_file([lake.new_event()], hour=lake.copies[0].event.ingested_at)
        caplog.set_level("INFO")
        merged = _rows(engine)
        assert len(merged) > first
        version = engine.version
        lake.compact(every_hour=True)
        assert _rows(engine) == merged
        assert engine.version == version, "a compaction changed nothing a query can see"
        assert "real-time side rebuilt" not in caplog.text
        lake.bronze_file([lake.new_event()], hour=lake.copies[0].event.ingested_at)
        lake.compact_without_lineage()
        assert len(_rows(engine)) > len(merged)
        assert "real-time side rebuilt" in caplog.text
    finally:
        engine.close()


def test_the_compaction_window_and_a_compaction_of_unseen_files(tmp_path: Path) -> None:
    """While a compaction runs, its output and its inputs are both listed; a file may also land
    and be compacted between two refreshes. The side equals its recomputation at each step."""
    lake = Lake(tmp_path / "lake", seed=11)
    engine = DuckDBEngine(Settings(lake_uri=str(lake.root), reporting_tz=TZ))
    try:
        hour = lake.clock
        for _ in range(3):
            lake.bronze_file([lake.new_event()], hour=hour)
        _rows(engine)
        folder = next((lake.root / "bronze" / "sales_events").glob("*/*"))
        inputs = sorted(folder.glob("*.parquet"))
        relative = [str(path.relative_to(lake.root)) for path in inputs]
        merged = pa.concat_tables([pq.read_table(path) for path in inputs])
        output = folder / "compacted-window-0.parquet"
        pq.write_table(merged.cast(with_lineage(merged.schema, relative)), output)
        version = engine.version
        assert _rows(engine) == engine.query(RECOMPUTED).rows
        for path in inputs:
            path.unlink()
        assert _rows(engine) == engine.query(RECOMPUTED).rows
        assert engine.version == version
        lake.bronze_file([lake.new_event()], hour=hour)
        lake.compact(every_hour=True)
        assert _rows(engine) == engine.query(RECOMPUTED).rows
        assert engine.version == version + 1, "the unseen file's events were merged"
        assert len(list(folder.glob("*.parquet"))) == 1
    finally:
        engine.close()
