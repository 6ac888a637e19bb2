from __future__ import annotations

from datetime import UTC, datetime

from batch_layer.publish import publish, read_publication
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
