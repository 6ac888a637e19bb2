"""The SparkSession the job runs on, tuned for a small local machine unless told otherwise.

On EMR Serverless the platform creates the session (`master=None` keeps its settings); locally
we start `local[*]` with the UI off and UTC as the session time zone, so timestamps mean the same
in every engine and a test's job starts in seconds.

Every Parquet file the job writes is Zstandard-compressed (`PARQUET_COMPRESSION`), locally and on
EMR alike. Silver and gold are kept for all of history, in two full copies while kept states
span a full rebuild, so their bytes are most of the lake's storage, and Zstandard stores them in
markedly less than Snappy, Spark's default, in the same time (docs/batch_layer.md has the
figures). Athena, DuckDB and pyarrow read it natively.

A shuffle starts with `shuffle_partitions` partitions and adaptive execution merges the small
ones, so a generous number costs little on small inputs and keeps each task's sort in memory on
large ones (docs/batch_layer.md has the measurements behind the default).
Locally, files are listed on the driver: a distributed listing job runs on the same cores, and
for bronze's day folders it took 2 s at any input size. A local session for an `s3://` lake
(`s3a=True`) maps the scheme to the S3A connector (`batch_layer.s3a`); on EMR, `s3a` changes
nothing, as the cluster's `s3://` is EMRFS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from batch_layer.s3a import session_options as s3a_session_options

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOCAL_MASTER = "local[*]"
PARQUET_COMPRESSION = "zstd"
DEFAULT_SHUFFLE_PARTITIONS = 32
"""The partitions a shuffle starts with (see above); `salesflow batch run --shuffle-partitions`
overrides it for one run."""


def build_session(
    *,
    master: str | None = LOCAL_MASTER,
    shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS,
    driver_memory: str = "2g",
    app_name: str = "salesflow-batch",
    s3a: bool = False,
) -> SparkSession:
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.sources.partitionOverwriteMode", "static")
        .config("spark.sql.parquet.compression.codec", PARQUET_COMPRESSION)
    )
    if master is not None:
        builder = (
            builder.master(master)
            .config("spark.driver.memory", driver_memory)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
            .config("spark.default.parallelism", str(shuffle_partitions))
            .config("spark.sql.adaptive.enabled", "true")
            .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "10000")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
        )
        if s3a:
            for name, value in s3a_session_options().items():
                builder = builder.config(name, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session
