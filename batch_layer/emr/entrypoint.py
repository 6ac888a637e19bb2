"""EMR Serverless entry point: `entrypoint.py run [--cutoff T]` or `entrypoint.py sync-catalog`.

Uploaded as the job's `EntryPoint` beside the job's Python environment archive (Dockerfile target
`emr-artifacts`), where the salesflow wheel is installed: the job, and the serving layer's code and
SQL files the catalog sync runs after publishing. It takes the same arguments as `salesflow batch`,
but keeps the SparkSession the cluster configured (no local master). Every other setting (lake,
reporting time zone, cutoff lag, catalog) is read by `Settings` from the `SALESFLOW_*` variables
Terraform hands the driver as `spark.emr-serverless.driverEnv.*` parameters.
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
