from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from contract.lake import bronze_partition
from contract.settings import Settings
from devstack.progress import BronzeRowCounter, Progress, ProgressProbe


def _write_rows(folder: Path, name: str, rows: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"event_id": [f"e{i}" for i in range(rows)]}), folder / name)


def test_bronze_rows_are_counted_from_footers_and_follow_replacements(tmp_path):
    lake = tmp_path / "lake"
    hour = lake / bronze_partition(datetime(2026, 11, 21, 13, tzinfo=UTC))
    _write_rows(hour, "a.parquet", 3)
    _write_rows(hour, "b.parquet", 4)
    _write_rows(hour, "_c.parquet.tmp", 100)
    _write_rows(lake / "gold", "x.parquet", 50)
    counter = BronzeRowCounter(str(lake), Settings())
    assert counter.count() == 7

    (hour / "a.parquet").unlink()
    (hour / "b.parquet").unlink()
    _write_rows(hour, "compacted.parquet", 7)
    _write_rows(hour, "d.parquet", 2)
    assert counter.count() == 9


def test_missing_sources_show_as_dashes(tmp_path):
    probe = ProgressProbe(
        ledger_path=tmp_path / "nothing.json",
        lake_uri=str(tmp_path / "lake"),
        settings=Settings(),
        ingest_url=None,
        serve_url=None,
    )
    progress = probe.read()
    assert progress == Progress(None, None, 0, None, None)
    assert progress.line() == (
        "sent - · acknowledged - · landed 0 · freshness - · batch boundary T none yet"
    )


def test_sent_and_acknowledged_come_from_the_simulator_ledger(tmp_path):
    ledger = tmp_path / "ledger.json"
    ledger.write_text(json.dumps({"stats": {"events_sent": 1234, "acknowledged": 1200}}))
    probe = ProgressProbe(
        ledger_path=ledger,
        lake_uri=str(tmp_path / "lake"),
        settings=Settings(),
        ingest_url=None,
        serve_url=None,
    )
    assert probe.read().line().startswith("sent 1,234 · acknowledged - ·")


def test_landed_counts_only_rows_added_since_the_probe_started(tmp_path):
    hour = tmp_path / "lake" / bronze_partition(datetime(2026, 11, 21, 13, tzinfo=UTC))
    _write_rows(hour, "earlier-run.parquet", 40)
    probe = ProgressProbe(
        ledger_path=None,
        lake_uri=str(tmp_path / "lake"),
        settings=Settings(),
        ingest_url=None,
        serve_url=None,
    )
    assert probe.read().landed == 0
    _write_rows(hour, "this-run.parquet", 6)
    assert probe.read().landed == 6
