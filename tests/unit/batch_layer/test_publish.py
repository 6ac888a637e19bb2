from __future__ import annotations

from datetime import UTC, datetime

import pytest

from batch_layer import lake_files
from batch_layer.publish import RUN_REPORT, publish, read_publication
from contract.lake import LakeLocation
from contract.publication import Publication
from contract.settings import Settings


def make_publication(run_id: str) -> Publication:
    return Publication(
        run_id=run_id,
        cutoff=datetime(2026, 11, 22, 3, tzinfo=UTC),
        published_at=datetime(2026, 11, 22, 3, 5, tzinfo=UTC),
        tables={"sales_wide": f"gold/runs/{run_id}/sales_wide"},
        input_counts={"lines": 3},
        output_counts={"sales_wide": 2},
        quality_counts={"unknown_sku": 0},
        duplicates=1,
        duration_seconds=1.5,
    )


def test_publish_writes_the_run_report_and_replaces_the_pointer(tmp_path):
    settings = Settings(lake_uri=str(tmp_path), state_dir=tmp_path / "state")
    lake = LakeLocation.parse(str(tmp_path))
    assert read_publication(lake, settings) is None
    publish(lake, make_publication("run-1"), settings)
    publish(lake, make_publication("run-2"), settings)
    assert read_publication(lake, settings) == make_publication("run-2")
    assert (tmp_path / "gold/runs/run-1/_run.json").is_file()
    assert sorted(p.name for p in (tmp_path / "gold").iterdir()) == ["_published.json", "runs"]


def test_a_run_whose_report_cannot_be_written_is_not_published(tmp_path, monkeypatch):
    """The pointer goes last: a failure before it leaves readers on the previous run."""
    settings = Settings(lake_uri=str(tmp_path), state_dir=tmp_path / "state")
    lake = LakeLocation.parse(str(tmp_path))
    publish(lake, make_publication("run-1"), settings)
    write = lake_files.write_atomically

    def disk_full_for_reports(lake, relative, data, settings):
        if relative.endswith(RUN_REPORT):
            raise OSError("no space left on device")
        write(lake, relative, data, settings)

    monkeypatch.setattr(lake_files, "write_atomically", disk_full_for_reports)
    with pytest.raises(OSError, match="no space left"):
        publish(lake, make_publication("run-2"), settings)
    assert read_publication(lake, settings) == make_publication("run-1")
