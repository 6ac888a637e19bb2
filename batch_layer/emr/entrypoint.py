"""EMR Serverless entry point: `entrypoint.py run --cutoff T --lake s3://bucket[/prefix]`.

Uploaded as the job's `EntryPoint`; the packages come from `salesflow_batch.zip` (`--py-files`)
or from the job's Python environment archive. It takes the same arguments as
`salesflow batch run`, but keeps the SparkSession the cluster configured (no local master).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from batch_layer import cli


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="entrypoint.py", description="salesflow nightly job")
    cli.add_arguments(parser, default_master="none")
    return cli.run(parser.parse_args(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    raise SystemExit(main())
