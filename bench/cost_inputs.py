"""The cost model's per-event inputs, measured on the real code: `python -m bench.cost_inputs`.

`salesflow cost` prices a deployment from a few figures per event. Those that the code decides
are measured here rather than assumed, on the demo's own traffic (the simulator, with its sales,
returns, late sales and resends) through the real processes on the emulator:

- the stream: records per acknowledged event and bytes per record, as the ingest API writes them
  to Kinesis (read back with GetRecords), and the 1 KB units on-demand Kinesis bills for them;
- the logs: bytes the ingest API writes per accepted request, at the level it runs in production
  (info), and bytes the speed layer writes per landed batch;
- the lake: bronze bytes per event as the speed layer lands them, here and, at a day's scale,
  as `bench.freshness` measured them once compacted (read from its results, and said so).

Results go to bench/results/cost_inputs.json; devstack/cost/inputs.py reads them, and `salesflow
cost` lists which inputs are measured (and by which run) and which are still assumed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from bench.harness import API_KEY, child_env, emulated_settings
from bench.results_file import Figure, figure, write_results
from contract.aws import aws_client
from contract.settings import Settings
from devstack.local_servers import FAKE_CREDENTIALS, ingest_api, moto_server, python_module

KINESIS_BILLING_UNIT = 1024
"""On-demand Kinesis bills each record's payload rounded up to a whole KB."""


def stream_records(settings: Settings) -> list[bytes]:
    """Every record the stream holds, read from the start of each shard."""
    kinesis = aws_client(settings, "kinesis")
    records: list[bytes] = []
    for shard in kinesis.list_shards(StreamName=settings.stream_name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=settings.stream_name,
            ShardId=shard["ShardId"],
            ShardIteratorType="TRIM_HORIZON",
        )["ShardIterator"]
        while iterator:
            response = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            records += [record["Data"] for record in response["Records"]]
            if not response["Records"] and response.get("MillisBehindLatest", 0) == 0:
                break
            iterator = response.get("NextShardIterator")
    return records


def simulate(env: dict[str, str], api_url: str, seconds: int, rate: int, ledger: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "salesflow",
            "simulate",
            "--duration",
            str(seconds),
            "--rate",
            str(rate),
            "--flat",
            "--seed",
            "7",
            "--api-url",
            api_url,
            f"--api-key={API_KEY}",
            "--ledger",
            str(ledger),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=seconds + 300,
    )


def landed_events(lake: Path) -> tuple[int, int]:
    """(events, bytes) of the bronze Parquet files the speed layer wrote."""
    files = sorted(lake.glob("bronze/sales_events/**/*.parquet"))
    return sum(pq.read_metadata(path).num_rows for path in files), sum(
        path.stat().st_size for path in files
    )


def measure(workdir: Path, seconds: int, rate: int) -> list[Figure]:
    with moto_server() as endpoint:
        settings = emulated_settings(endpoint, workdir)
        env = child_env(settings, workdir / "pycache")
        api_log, speed_log = workdir / "api.log", workdir / "speed.log"
        with ingest_api(env, "kinesis", api_log, api_key=API_KEY, log_level="info") as api:
            before = api_log.stat().st_size
            simulate(env, api.base_url, seconds, rate, workdir / "ledger.json")
            api_log_bytes = api_log.stat().st_size - before
        records = stream_records(settings)
        with python_module(["salesflow", "speed"], env, speed_log):
            deadline = time.monotonic() + 300
            while landed_events(workdir / "lake")[0] < len(records):
                if time.monotonic() > deadline:
                    raise RuntimeError("the speed layer did not land the stream within 300 s")
                time.sleep(1)
    events, bronze_bytes = landed_events(workdir / "lake")
    requests = _requests(workdir / "ledger.json")
    landing_lines = [line for line in speed_log.read_text().splitlines() if '"landed batch' in line]
    record_bytes = [len(record) for record in records]
    billed_units = sum(math.ceil(size / KINESIS_BILLING_UNIT) for size in record_bytes)
    print(f"{events} events landed from {len(records)} records, {requests} requests")
    return [
        figure("stream records per event", len(records) / events, "records/event"),
        figure("stream bytes per record", sum(record_bytes) / len(records), "bytes"),
        figure("stream bytes per event", sum(record_bytes) / events, "bytes"),
        figure("stream billed KB per event", billed_units / events, "KB/event"),
        figure("ingest API log bytes per request", api_log_bytes / requests, "bytes"),
        figure(
            "speed layer log bytes per landed batch",
            sum(len(line) + 1 for line in landing_lines) / max(1, len(landing_lines)),
            "bytes",
        ),
        figure("bronze bytes per event, as landed (small files)", bronze_bytes / events, "bytes"),
    ]


def _requests(ledger: Path) -> int:
    """The requests the simulator sent (single events and batches, retries included)."""
    return int(json.loads(ledger.read_text())["stats"]["requests"])


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost_inputs", description=__doc__)
    parser.add_argument("--seconds", type=int, default=60, help="how long the simulator sends")
    parser.add_argument("--rate", type=int, default=100, help="simulated events per second")
    args = parser.parse_args()
    os.environ.update({k: v for k, v in FAKE_CREDENTIALS.items() if k not in os.environ})
    with tempfile.TemporaryDirectory() as workdir:
        figures = measure(Path(workdir), args.seconds, args.rate)
    write_results("cost_inputs", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
