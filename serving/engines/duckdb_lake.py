"""An `s3://` lake for the DuckDB engine, through the S3 client the rest of the platform uses.

DuckDB reads S3 with its httpfs extension, which it downloads when first needed; a machine
without that download (or a DuckDB release without a published build) could not serve an S3
lake. Instead the engine hands DuckDB the lake's own pyarrow S3 filesystem
(`contract.lake_io.LakeFiles`: the endpoint, region and credentials every component takes from
the settings) wrapped as an fsspec filesystem of the `s3` protocol. DuckDB then globs, opens and
reads `s3://` URIs through it, so the views and queries are the same SQL over an S3 lake as over
a local one. Extension auto-loading is off on such a connection: a path DuckDB cannot serve
fails with an error instead of a download attempt.
"""

from __future__ import annotations

import duckdb
from fsspec.implementations.arrow import ArrowFSWrapper

from contract.lake_io import LakeFiles


class _S3LakeFileSystem(ArrowFSWrapper):  # type: ignore[misc]  # fsspec is untyped
    protocol = ("s3",)


def attach_lake(connection: duckdb.DuckDBPyConnection, lake: LakeFiles) -> None:
    """Let `connection` read the lake's URIs; nothing to do for a local lake."""
    if lake.is_local:
        return
    connection.execute("SET autoinstall_known_extensions = false")
    connection.execute("SET autoload_known_extensions = false")
    connection.register_filesystem(_S3LakeFileSystem(lake.filesystem))
