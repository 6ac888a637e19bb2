"""The loader's lake layout: parts, the record written last, idempotency, stopped loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

from batch_layer.csv_loader import load_csv
from batch_layer.csv_mapping import parse_mapping
from batch_layer.csv_scratch import scratch_root
from batch_layer.csv_sources import InMemoryExport
from batch_layer.errors import CsvEncodingError, UnfinishedLoadError
from contract.settings import Settings
from tests.unit.batch_layer.csv_samples import UPLOADED_AT, csv_text, load_text, read_csv, row


def test_valid_rows_load_and_bad_rows_are_quarantined_with_the_reason(tmp_path):
    lake = tmp_path / "lake"
    loaded = load_text(lake, csv_text(row(), row("EV-0000002", quantity="x")), name="nov.csv")
    result = loaded.result
    assert (result.accepted, result.rejected, result.already_loaded) == (1, 1, False)
    uploads = sorted(
        p.relative_to(lake).as_posix() for p in (lake / "bronze/csv_uploads").iterdir()
    )
    assert uploads == [f"bronze/csv_uploads/{result.sha256}-00001.csv"] == list(result.upload_parts)
    (loaded_row,) = loaded.accepted
    assert (loaded_row["event_id"], loaded_row["source"]) == ("EV-0000001", "csv:nov.csv")
    (quarantined,) = loaded.rejected
    assert list(quarantined)[:2] == ["file_line", "reason"]
    assert list(quarantined)[-2:] == ["ingested_at", "source"]
    assert quarantined["file_line"] == "3"
    assert quarantined["quantity"] == "x"
    assert "column quantity: Input should be a valid integer" in quarantined["reason"]
    assert loaded.record["accepted"] == 1
    assert not list((lake / "bronze/_staging/csv").iterdir()), "staging is cleaned up"


def test_loading_the_same_file_twice_changes_nothing(tmp_path):
    lake = tmp_path / "lake"
    first = load_text(lake, csv_text(row()), name="a.csv").result
    upload = lake / first.upload_parts[0]
    content = upload.read_bytes()
    again = load_text(lake, csv_text(row()), name="renamed.csv").result
    assert again.already_loaded
    assert again.record_path == first.record_path
    assert upload.read_bytes() == content
    assert len(list(upload.parent.iterdir())) == 1


def test_a_file_loaded_before_parts_existed_is_not_loaded_again(tmp_path):
    lake = tmp_path / "lake"
    settings = Settings(lake_uri=str(lake), state_dir=tmp_path / "state")
    data = csv_text(row()).encode()
    export = InMemoryExport("old.csv", data)
    first = load_csv(export, settings=settings)
    (lake / first.record_path).unlink()
    (lake / first.upload_parts[0]).rename(lake / f"bronze/csv_uploads/{first.sha256}.csv")
    assert load_csv(export, settings=settings).already_loaded


def test_many_rows_are_written_in_parts_that_never_split_an_event(tmp_path):
    rows = [row(f"EV-{n // 3:07d}", sku=f"SKU-{n % 3}") for n in range(3000)]
    loaded = load_text(tmp_path / "lake", csv_text(*rows), part_rows=250)
    assert loaded.result.accepted == 3000
    assert len(loaded.result.upload_parts) == 12, "250 rows a part, rounded up to whole events"
    sizes = [len(read_csv(tmp_path / "lake" / part)) for part in loaded.result.upload_parts]
    assert sizes == [252] * 11 + [3000 - 11 * 252]
    seen: set[str] = set()
    for part in loaded.result.upload_parts:
        ids = {r["event_id"] for r in read_csv(tmp_path / "lake" / part)}
        assert not ids & seen, "an event's rows are all in one part"
        seen |= ids
    assert [r["event_id"] for r in loaded.accepted] == [f"EV-{n // 3:07d}" for n in range(3000)]


def test_a_file_that_is_not_text_publishes_nothing(tmp_path):
    lake = tmp_path / "lake"
    data = csv_text(row(), row("EV-0000002", customer_id="C-\xe9")).encode("latin-1")
    with pytest.raises(CsvEncodingError, match="file line 3 is not utf-8 text"):
        load_text(lake, data)
    assert not (lake / "bronze/csv_uploads").exists()
    assert not (lake / "bronze/csv_loads").exists()
    assert not list((lake / "bronze/_staging/csv").iterdir())


def test_a_stopped_load_is_finished_with_the_same_bytes_and_upload_time(tmp_path):
    lake = tmp_path / "lake"
    text = csv_text(*[row(f"EV-{n:07d}") for n in range(10)])
    first = load_text(lake, text, part_rows=4)
    parts = {part: (lake / part).read_bytes() for part in first.result.upload_parts}
    record = lake / first.result.record_path
    start = {
        "file_name": "test.csv",
        "source": "csv:test.csv",
        "uploaded_at": UPLOADED_AT.isoformat(),
        "mapping": "contract",
        "mapping_sha256": "",
        "part_rows": 4,
    }
    staging = lake / "bronze/_staging/csv" / first.result.sha256
    staging.mkdir(parents=True)
    (staging / "_load.json").write_text(json.dumps(start))
    record.unlink()
    (lake / first.result.upload_parts[-1]).unlink()  # stopped while moving the parts into place

    later = load_text(lake, text, part_rows=4, uploaded_at=UPLOADED_AT.replace(day=30))
    assert not later.result.already_loaded
    assert {part: (lake / part).read_bytes() for part in later.result.upload_parts} == parts
    assert {r["ingested_at"] for r in later.accepted} == {"2026-11-22T12:00:00+00:00"}
    assert not staging.exists()


def test_a_stopped_load_with_other_settings_is_refused_once_parts_are_published(tmp_path):
    lake = tmp_path / "lake"
    text = csv_text(row())
    first = load_text(lake, text)
    (lake / first.result.record_path).unlink()
    staging = lake / "bronze/_staging/csv" / first.result.sha256
    staging.mkdir(parents=True)
    start = {
        "file_name": "test.csv",
        "source": "csv:test.csv",
        "uploaded_at": UPLOADED_AT.isoformat(),
        "mapping": "older",
        "mapping_sha256": "0" * 64,
        "part_rows": 4,
    }
    (staging / "_load.json").write_text(json.dumps(start))
    with pytest.raises(UnfinishedLoadError, match="with mapping 'older'"):
        load_text(lake, text)
    (lake / first.result.upload_parts[0]).unlink()
    assert load_text(lake, text).result.accepted == 1, "nothing published yet: start over"


def test_a_mapping_is_needed_for_a_file_in_another_layout(tmp_path):
    mapping = parse_mapping(
        b"""
        source_system = "erp"
        [columns]
        order_id = "pedido"
        event_type = { constant = "sale" }
        occurred_at = "quando"
        channel = { constant = "pos" }
        store_id = { constant = "SP-PAULISTA-01" }
        currency = { constant = "BRL" }
        payment_method = { constant = "pix" }
        sku = "sku"
        quantity = "qtd"
        unit_price = "preco"
        """,
        "tiny",
    )
    text = "pedido,quando,sku,qtd,preco\nP1,2026-11-21T10:00:00-03:00,NB-DELL-I5-16,1,10.00\n"
    with pytest.raises(Exception, match="needs a mapping"):
        load_text(tmp_path / "lake", text)
    assert load_text(tmp_path / "lake", text, mapping=mapping).result.accepted == 1


def test_a_killed_loads_scratch_folder_is_removed_by_the_next_load(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    root = scratch_root()
    root.mkdir()
    killed = root / f"{gone.stdout.strip()}-abc"
    running = root / f"{os.getppid()}-def"
    for folder in (killed, running):
        folder.mkdir()
        (folder / "closed-ids").write_text("E1\n")

    load_text(tmp_path / "lake", csv_text(row()))

    assert sorted(root.iterdir()) == [running], "the dead process's folder swept, its own removed"
