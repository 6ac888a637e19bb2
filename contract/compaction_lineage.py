"""Which files a compacted bronze file replaced, recorded in its own Parquet footer.

Compaction copies records and never changes them, so a reader that already holds the inputs'
records (the local engine's materialized real-time side) can take the compacted file as the same
content under a new name instead of recomputing everything it derived from them. For that it
must know the inputs, and the footer is the one record that appears with the file, atomically,
and cannot outlive it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePosixPath

import pyarrow as pa

from contract.lake_io import LakeFiles

COMPACTED_PREFIX = "compacted-"
"""How a compaction output's name starts: only these files are asked for their inputs."""
LINEAGE_KEY = b"salesflow.compacted_from"


def with_lineage(schema: pa.Schema, inputs: Sequence[str]) -> pa.Schema:
    """`schema` carrying the lake-relative paths of the files an output replaces."""
    return schema.with_metadata({**(schema.metadata or {}), LINEAGE_KEY: json.dumps(inputs)})


def is_compacted(path: str) -> bool:
    return PurePosixPath(path).name.startswith(COMPACTED_PREFIX)


def compacted_inputs(lake: LakeFiles, relative: str) -> tuple[str, ...] | None:
    """The lake-relative files a compacted file declares it replaced; None for a file that
    declares none (not compacted, or compacted before the record was kept) or is gone."""
    if not is_compacted(relative):
        return None
    try:
        metadata = lake.parquet_key_values(relative)
    except FileNotFoundError:
        return None
    declared = metadata.get(LINEAGE_KEY)
    return None if declared is None else tuple(json.loads(declared))
