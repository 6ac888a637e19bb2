from __future__ import annotations

from datetime import UTC, datetime

import pytest

from batch_layer.publish import RUN_REPORT, publish
from contract.errors import PublicationError
from contract.lake import PUBLISHED_POINTER, LakeLocation
from contract.lake_io import LakeFiles
from contract.publication import Publication, read_publication
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
    files = LakeFiles.open(str(tmp_path), settings)
    assert read_publication(files) is None
    publish(lake, make_publication("run-1"), settings)
    publish(lake, make_publication("run-2"), settings)
    assert read_publication(files) == make_publication("run-2")
    assert (tmp_path / "gold/runs/run-1/_run.json").is_file()
    assert sorted(p.name for p in (tmp_path / "gold").iterdir()) == ["_published.json", "runs"]


def test_a_run_whose_report_cannot_be_written_is_not_published(tmp_path):
    """The pointer goes last: a failure before it leaves readers on the previous run."""
    settings = Settings(lake_uri=str(tmp_path), state_dir=tmp_path / "state")
    lake = LakeLocation.parse(str(tmp_path))
    publish(lake, make_publication("run-1"), settings)
    (tmp_path / "gold/runs/run-2").mkdir(parents=True)
    (tmp_path / "gold/runs/run-2" / RUN_REPORT).mkdir()
    with pytest.raises(IsADirectoryError):
        publish(lake, make_publication("run-2"), settings)
    assert read_publication(LakeFiles.open(str(tmp_path), settings)) == make_publication("run-1")
    assert sorted(p.name for p in (tmp_path / "gold/runs/run-2").iterdir()) == [RUN_REPORT]


def test_a_pointer_that_is_not_a_publication_says_how_to_republish(tmp_path):
    settings = Settings(lake_uri=str(tmp_path), state_dir=tmp_path / "state")
    (tmp_path / PUBLISHED_POINTER).parent.mkdir(parents=True)
    (tmp_path / PUBLISHED_POINTER).write_text('{"run_id": "half"}')
    with pytest.raises(PublicationError, match="salesflow batch run"):
        read_publication(LakeFiles.open(str(tmp_path), settings))
