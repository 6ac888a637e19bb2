"""`s3://` lakes from a Spark session that is not EMR's: the S3A connector, pointed where boto3 is.

On EMR, `s3://` is EMRFS with its S3-optimized committer and none of this runs: the job keeps
the cluster's session (`--master none`). A local session (`salesflow batch run` on a laptop,
`salesflow up --lake s3://...`, the tests) has no S3 filesystem of its own, so the `s3` scheme is
mapped to Hadoop's S3A (`fs.s3.impl`): the job's URIs stay `s3://bucket/key`, as on EMR and in
every manifest and publication, and only the filesystem behind the scheme differs.

S3A reaches the same endpoint as every other component (`Settings.endpoint_url("s3")`: the moto
server of `salesflow up`, or AWS when none is set), with path-style addressing for an emulator,
and signs with the same credentials boto3 and pyarrow find: the standard `AWS_*` environment,
which S3A's default provider chain reads (and Spark copies into `fs.s3a.*`).

Output goes through the S3A *magic* committer (`spark-hadoop-cloud`'s commit protocol): each task
uploads its files as multipart uploads left uncompleted, and the job commit completes them, so no
file is renamed (a rename on S3 is a copy per file) and a failed task leaves nothing behind. A
run's folder is read only after the publication pointer names it, so the committer is about cost
and clean failure, not about what readers see (docs/batch_layer.md).

The jars come from the set-up's `s3a` bundle (`devstack/jars.py`, `requirements/maven/s3a.xml`):
they must be on the JVM's class path when it starts, so a session needs `session_options` at
build time and `connect` (the endpoint) at any time before it first opens the lake.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from batch_layer.errors import BatchLayerError
from contract.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

S3A_FILESYSTEM = "org.apache.hadoop.fs.s3a.S3AFileSystem"
BUNDLE = "s3a"

_FILESYSTEM_OPTIONS = {
    "fs.s3.impl": S3A_FILESYSTEM,
    "fs.AbstractFileSystem.s3.impl": "org.apache.hadoop.fs.s3a.S3A",
    "fs.s3a.committer.name": "magic",
    "fs.s3a.committer.magic.enabled": "true",
    "mapreduce.outputcommitter.factory.scheme.s3": (
        "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory"
    ),
}
"""Hadoop options of a local session: `s3` served by S3A, written through the magic committer
(the committer factory is chosen by URI scheme, so it is bound to `s3` as well as `s3a`)."""

_SPARK_OPTIONS = {
    "spark.sql.sources.commitProtocolClass": (
        "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol"
    ),
    "spark.sql.parquet.output.committer.class": (
        "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter"
    ),
}
"""Spark's side of the committer: hand each write to the committer Hadoop picks for its path."""


class S3AUnavailableError(BatchLayerError):
    """A local session was asked for an `s3://` lake without the S3A jars at hand."""


def classpath() -> str:
    """The s3a bundle's jars, as a JVM class path; S3AUnavailableError names the fetch command."""
    try:
        from devstack.jars import MissingBundleError, bundle_dir
    except ImportError as error:
        raise S3AUnavailableError(
            "a local Spark session reaches an s3:// lake through the S3A jars that a checkout's "
            "set-up fetches (`python -m devstack.jars fetch s3a`); run from a checkout, or on "
            "EMR with `--master none`"
        ) from error
    try:
        folder = bundle_dir(BUNDLE)
    except MissingBundleError as error:
        raise S3AUnavailableError(str(error)) from error
    return ":".join(str(jar) for jar in sorted(folder.glob("*.jar")))


def session_options() -> dict[str, str]:
    """What a local session needs from its start to read and write `s3://` through S3A."""
    return {
        # In local mode the executors run in the driver's JVM, so its class path serves both and
        # no jar is copied per session (as `spark.jars` would).
        "spark.driver.extraClassPath": classpath(),
        **{f"spark.hadoop.{name}": value for name, value in _FILESYSTEM_OPTIONS.items()},
        **_SPARK_OPTIONS,
    }


def endpoint_options(settings: Settings) -> dict[str, str]:
    """Where S3A sends requests: the configured S3 endpoint (path-style, as an emulator wants
    it) in the configured region; AWS's own endpoint for the region when none is set."""
    options = {"fs.s3a.endpoint.region": settings.aws_region}
    endpoint = settings.endpoint_url("s3")
    if endpoint is not None:
        options |= {
            "fs.s3a.endpoint": endpoint,
            "fs.s3a.path.style.access": "true",
            "fs.s3a.connection.ssl.enabled": str(urlparse(endpoint).scheme == "https").lower(),
        }
    return options


def uses_s3a(session: SparkSession) -> bool:
    """Whether the session's `s3://` is S3A (a local session built for it), not EMRFS."""
    return bool(_hadoop_configuration(session).get("fs.s3.impl") == S3A_FILESYSTEM)


def connect(session: SparkSession, settings: Settings) -> None:
    """Point a session's S3A at the settings' endpoint; nothing on a session whose `s3://` is
    another filesystem (EMR's). Set on the context's Hadoop configuration, which every read,
    write and listing of the job starts from; a bucket's filesystem is cached once opened, so
    this must run before the session first touches the lake (run_batch does it first)."""
    if not uses_s3a(session):
        return
    configuration = _hadoop_configuration(session)
    for name, value in endpoint_options(settings).items():
        configuration.set(name, value)


def _hadoop_configuration(session: SparkSession) -> Any:
    context = session.sparkContext._jsc
    if context is None:
        raise RuntimeError("the SparkSession has no JVM: it was stopped")
    return context.hadoopConfiguration()
