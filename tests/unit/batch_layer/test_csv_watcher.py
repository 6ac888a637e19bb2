from __future__ import annotations

import threading
from pathlib import Path

from batch_layer.csv_watcher import CsvWatcher
from contract.settings import Settings
from tests.unit.batch_layer.csv_samples import csv_text, row


def make_watcher(tmp_path: Path) -> CsvWatcher:
    settings = Settings(lake_uri=str(tmp_path / "lake"), state_dir=tmp_path / "state")
    return CsvWatcher(settings, poll_seconds=0.01)


def test_a_file_is_loaded_once_it_stopped_changing_then_moved_aside(tmp_path):
    watcher = make_watcher(tmp_path)
    landing = tmp_path / "state" / "landing"
    landing.mkdir(parents=True)
    (landing / "nov.csv").write_text(csv_text(row()))
    assert watcher.poll_once() == [], "a file seen for the first time may still be copying"
    (result,) = watcher.poll_once()
    assert (result.file_name, result.accepted) == ("nov.csv", 1)
    assert not (landing / "nov.csv").exists()
    assert [p.name.endswith("-nov.csv") for p in (landing / "loaded").iterdir()] == [True]
    assert len(list((tmp_path / "lake/bronze/csv_uploads").iterdir())) == 1


def test_a_growing_file_waits_for_the_next_poll(tmp_path):
    watcher = make_watcher(tmp_path)
    landing = tmp_path / "state" / "landing"
    landing.mkdir(parents=True)
    target = landing / "big.csv"
    target.write_text(csv_text(row()))
    watcher.poll_once()
    target.write_text(csv_text(row(), row("EV-0000002")))
    assert watcher.poll_once() == []
    (result,) = watcher.poll_once()
    assert result.accepted == 2


def test_an_unreadable_file_is_kept_with_its_reason(tmp_path):
    watcher = make_watcher(tmp_path)
    landing = tmp_path / "state" / "landing"
    landing.mkdir(parents=True)
    (landing / "wrong.csv").write_text("a,b\n1,2\n")
    watcher.poll_once()
    assert watcher.poll_once() == []
    rejected = sorted(p.name for p in (landing / "rejected").iterdir())
    assert rejected[0].endswith("-wrong.csv")
    reason = (landing / "rejected" / rejected[1]).read_text()
    assert "header must name each of" in reason


def test_run_loads_files_until_stopped(tmp_path):
    watcher = make_watcher(tmp_path)
    landing = tmp_path / "state" / "landing"
    landing.mkdir(parents=True)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,))
    thread.start()
    try:
        (landing / "x.csv").write_text(csv_text(row()))
        uploads = tmp_path / "lake/bronze/csv_uploads"
        for _ in range(500):
            if uploads.is_dir() and list(uploads.iterdir()):
                break
            stop.wait(0.01)
        assert len(list(uploads.iterdir())) == 1
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_file_in_a_mapping_folder_is_read_with_that_lake_mapping(tmp_path):
    examples = Path(__file__).resolve().parents[3] / "examples"
    watcher = make_watcher(tmp_path)
    mappings = tmp_path / "lake" / "config" / "mappings"
    mappings.mkdir(parents=True)
    (mappings / "webshop.toml").write_bytes(
        (examples / "mappings" / "webshop_orders.toml").read_bytes()
    )
    folder = tmp_path / "state" / "landing" / "webshop"
    folder.mkdir(parents=True)
    export = examples / "exports" / "webshop_orders_2026-11.csv"
    (folder / export.name).write_bytes(export.read_bytes())
    (tmp_path / "state" / "landing" / "unknown").mkdir()
    (tmp_path / "state" / "landing" / "unknown" / "x.csv").write_bytes(export.read_bytes())
    watcher.poll_once()
    (result,) = watcher.poll_once()
    assert (result.file_name, result.accepted, result.rejected) == (export.name, 12, 0)
    assert not (folder / export.name).exists()
    rejected = sorted((tmp_path / "state" / "landing" / "rejected").iterdir())
    assert "no mapping 'unknown' in the lake" in rejected[1].read_text()
