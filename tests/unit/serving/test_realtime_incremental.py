"""The local engine's real-time side merged file by file equals a full re-materialization, after
random sequences of new files, redelivered copies (later and earlier than the stored winner),
copies sent again claiming another day than their event's (gold may count it on that one), CSV
uploads, compactions, batch publications and reference loads."""

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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_layer.reference.versions import load_version
from contract.bronze import bronze_table
from contract.event import IngestedSaleEvent
from contract.lake_io import LakeFiles
from contract.reference import reference_table
from contract.settings import Settings
from serving.engines.duckdb_engine import DuckDBEngine
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
    "csv",
    "compact",
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
        """Hours' files merged into one, as `salesflow compact` does (some hours, or all)."""
        for hour in (self.root / "bronze" / "sales_events").glob("*/*"):
            files = sorted(hour.glob("*.parquet"))
            if len(files) > 1 and (every_hour or self.rng.random() < 0.5):
                merged = pa.concat_tables([pq.read_table(f) for f in files])
                pq.write_table(merged, hour / f"compacted-{uuid.uuid4().hex}.parquet")
                for path in files:
                    path.unlink()


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


def test_a_new_file_is_merged_without_rebuilding(tmp_path: Path, caplog: Any) -> None:
    lake = Lake(tmp_path / "lake", seed=7)
    engine = DuckDBEngine(Settings(lake_uri=str(lake.root), reporting_tz=TZ))
    try:
        lake.step("land")
        first = len(_rows(engine))
        lake.bronze_file([lake.new_event()], hour=lake.copies[0].event.ingested_at)
        caplog.set_level("INFO")
        assert len(_rows(engine)) > first
        assert "real-time side rebuilt" not in caplog.text
        lake.compact(every_hour=True)
        _rows(engine)
        assert "real-time side rebuilt" in caplog.text
    finally:
        engine.close()
