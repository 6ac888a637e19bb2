"""The quarantine rule on a line's net amount, at its edge, in the batch job: a line worth
exactly `MAX_LINE_NET_AMOUNT` is a sale and counts; one cent more is held back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from batch_layer.job import run_batch
from contract.gold import QUALITY_QUARANTINE, SALES_WIDE
from contract.settings import Settings
from tests.integration.batch_layer.gold_reader import read_table
from tests.unit.serving.line_limit import CUTOFF, line_limit_copies
from tests.unit.serving.sample_lake import Copy, write_inputs

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


def test_a_line_of_exactly_the_maximum_is_kept_and_a_cent_more_is_quarantined(
    spark: SparkSession, tmp_path: Path, make_event: Callable[..., dict[str, Any]]
) -> None:
    copies: list[Copy] = line_limit_copies(make_event, ingested_at=CUTOFF - timedelta(minutes=5))
    lake = tmp_path / "lake"
    write_inputs(lake, copies)
    settings = Settings(state_dir=tmp_path / "state", lake_uri=str(lake))
    publication = run_batch(settings.lake_uri, CUTOFF, settings=settings, spark=spark)
    kept = read_table(lake, publication, SALES_WIDE).to_pylist()
    held = read_table(lake, publication, QUALITY_QUARANTINE).to_pylist()
    assert sorted(row["event_id"] for row in kept) == ["EV-AT-THE-LIMIT", "EV-AT-THE-LIMIT-CSV"]
    assert sorted((row["event_id"], row["quality_rule"]) for row in held) == [
        ("EV-CENT-OVER-LIMIT", "line_net_out_of_range"),
        ("EV-CENT-OVER-LIMIT-CSV", "line_net_out_of_range"),
    ]
    assert publication.quality_counts["line_net_out_of_range"] == 2
