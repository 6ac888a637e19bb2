from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from salesflow.cli import main
from tests.unit.batch_layer.csv_samples import csv_text, row


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """The command configures JSON logging on stderr; give later tests their handlers back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_load_csv_command_loads_and_reports_each_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    good = tmp_path / "good.csv"
    good.write_text(csv_text(row(), row("EV-0000002", sku="")))
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,quantity\nX,1\n")
    lake = tmp_path / "lake"
    assert main(["load-csv", str(good), str(bad), "--lake", str(lake)]) == 1
    out, err = capsys.readouterr()
    assert "good.csv: 1 rows loaded to bronze/csv_uploads/" in out
    assert "1 quarantined with their reasons" in out
    assert "bad.csv: not loaded: header must name each of" in err
    assert main(["load-csv", str(good), "--lake", str(lake)]) == 0
    assert "already loaded" in capsys.readouterr().out


EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_load_csv_reads_a_real_export_through_a_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    export = EXAMPLES / "exports" / "webshop_orders_2026-11.csv"
    mapping = EXAMPLES / "mappings" / "webshop_orders.toml"
    lake = tmp_path / "lake"
    assert main(["load-csv", str(export), "--mapping", str(mapping), "--lake", str(lake)]) == 0
    assert "12 rows loaded to bronze/csv_uploads/" in capsys.readouterr().out
    assert main(["load-csv", str(export), "--mapping", str(mapping), "--lake", str(lake)]) == 0
    assert "already loaded" in capsys.readouterr().out


def test_load_csv_refuses_a_bad_mapping_before_reading_any_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    mapping = tmp_path / "broken.toml"
    mapping.write_text('source_system = "x"\n[columns]\nsku = "SKU"\n')
    export = EXAMPLES / "exports" / "webshop_orders_2026-11.csv"
    lake = tmp_path / "lake"
    assert main(["load-csv", str(export), "--mapping", str(mapping), "--lake", str(lake)]) == 2
    assert "columns.event_type: required, but missing" in capsys.readouterr().err
    assert not lake.exists()


def test_load_csv_needs_a_file_or_pending(capsys: pytest.CaptureFixture[str]):
    assert main(["load-csv"]) == 2
    assert "give at least one FILE, --pending" in capsys.readouterr().err


def test_load_csv_pending_with_nothing_pending_loads_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    assert main(["load-csv", "--pending", "--lake", str(tmp_path / "lake")]) == 0
    assert capsys.readouterr().out == ""
