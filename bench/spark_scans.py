"""What Spark's Parquet scans of a frame returned: the rows the reader produced after skipping
the row groups and pages its pushed filters rule out, before Spark's own filter."""

from __future__ import annotations

from pyspark.sql import DataFrame


def rows_read_by_scans(frame: DataFrame) -> int:
    """Executes `frame`'s own physical plan and sums its scans' output rows. The plan must be
    scans, filters and unions (one stage, no exchange), so no adaptive plan hides the scans."""
    execution = frame._jdf.queryExecution()
    execution.toRdd().count()
    leaves = execution.executedPlan().collectLeaves()
    scans = [leaves.apply(i) for i in range(leaves.size())]
    return sum(int(scan.metrics().apply("numOutputRows").value()) for scan in scans)
