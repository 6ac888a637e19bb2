"""The published state a benchmark's synthetic gold stands for: what the nightly run would have
written to the pointer for these `sales_wide` days, and nothing it would not."""

from __future__ import annotations

from datetime import UTC, datetime

from contract.gold import SALES_WIDE
from contract.lake import sales_wide_manifest
from contract.publication import DayPartition, Publication


def gold_only_publication(
    run_id: str,
    cutoff: datetime,
    rows: int,
    days: dict[str, DayPartition] | None = None,
    published_at: datetime | None = None,
) -> Publication:
    """A state whose only table is `sales_wide` (`rows` lines on `days`) with T = `cutoff`."""
    return Publication(
        run_id=run_id,
        cutoff=cutoff,
        published_at=published_at or datetime.now(UTC),
        tables={SALES_WIDE: sales_wide_manifest(run_id)},
        input_counts={},
        output_counts={SALES_WIDE: rows},
        quality_counts={},
        duplicates=0,
        duration_seconds=0.0,
        sales_wide_days=days or {},
    )
