"""The cost model's per-event inputs, measured on the real code: `python -m bench.cost_inputs`.

`salesflow cost` prices a deployment from a few figures per event. Those that the code decides
are measured here rather than assumed, on the demo's own traffic (the simulator, with its sales,
returns, late sales and resends) through the real processes on the emulator:

- the stream: records per acknowledged event and bytes per record, as the ingest API writes them
  to Kinesis (read back with GetRecords), the 1 KB units on-demand Kinesis bills for them and the
  25 KB PUT payload units of provisioned mode, with KPL aggregation as deployed against the same
  traffic one event per record (`SALESFLOW_KINESIS_AGGREGATION=false`, a second run of its own:
  the ratios). Aggregation packs the events of one PutRecords call, so these figures hold for
  this traffic's rate (`--rate`) and mix of single events and batches. A third run has
  compression on too (`SALESFLOW_KINESIS_COMPRESSION=true`): its records' bytes against the
  same records inflated, and its billed units against the aggregated run's;
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from bench.harness import API_KEY, child_env, emulated_settings
from bench.results_file import Figure, figure, write_results
from contract import stream_compression
from contract.aws import aws_client
from contract.settings import Settings
from devstack.local_servers import FAKE_CREDENTIALS, ingest_api, moto_server, python_module
from speed_layer.deaggregation import split_record

KINESIS_BILLING_UNIT = 1024
"""On-demand Kinesis bills each record's payload rounded up to a whole KB."""
PUT_PAYLOAD_UNIT = 25 * 1024
"""Provisioned Kinesis bills PUT payload units of 25 KB per record, rounded up."""


@dataclass(frozen=True)
class Run:
    """What one run through the real processes measured."""

    records: list[dict[str, Any]]
    """The stream's records as GetRecords returns them."""
    events: int
    """Events landed in bronze: every one the stream carries."""
    bronze_bytes: int
    requests: int
    api_log_bytes: int
    landing_lines: list[str]

    def per_event(self, total: float) -> float:
        return total / self.events

    @property
    def record_bytes(self) -> list[int]:
        return [len(record["Data"]) for record in self.records]

    def billed(self, unit: int) -> int:
        """The units each record is billed in, rounded up record by record, added up."""
        return sum(math.ceil(size / unit) for size in self.record_bytes)


PER_EVENT_STREAM_MEASURES: list[tuple[str, str, Callable[[Run], float]]] = [
    ("stream bytes per event", "bytes", lambda r: r.per_event(sum(r.record_bytes))),
    (
        "stream billed KB per event",
        "KB/event",
        lambda r: r.per_event(r.billed(KINESIS_BILLING_UNIT)),
    ),
    (
        "stream PUT payload units per event",
        "units/event",
        lambda r: r.per_event(r.billed(PUT_PAYLOAD_UNIT)),
    ),
]
"""What a run puts on the stream per event, each reported for aggregation against one event per
record and for compression against aggregation alone."""


def stream_records(settings: Settings) -> list[dict[str, Any]]:
    """Every record the stream holds, read from the start of each shard."""
    kinesis = aws_client(settings, "kinesis")
    records: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=settings.stream_name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=settings.stream_name,
            ShardId=shard["ShardId"],
            ShardIteratorType="TRIM_HORIZON",
        )["ShardIterator"]
        while iterator:
            response = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            records += response["Records"]
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


def run_once(
    workdir: Path, seconds: int, rate: int, *, aggregation: bool, compression: bool = False
) -> Run:
    """The simulator's traffic through the ingest API to the stream, landed by the speed layer."""
    workdir.mkdir(parents=True)
    with moto_server() as endpoint:
        settings = emulated_settings(endpoint, workdir)
        env = child_env(settings, workdir / "pycache") | {
            "SALESFLOW_KINESIS_AGGREGATION": str(aggregation).lower(),
            "SALESFLOW_KINESIS_COMPRESSION": str(compression).lower(),
        }
        api_log, speed_log = workdir / "api.log", workdir / "speed.log"
        with ingest_api(env, "kinesis", api_log, api_key=API_KEY, log_level="info") as api:
            before = api_log.stat().st_size
            simulate(env, api.base_url, seconds, rate, workdir / "ledger.json")
            api_log_bytes = api_log.stat().st_size - before
        records = stream_records(settings)
        carried = sum(len(split_record(record)) for record in records)
        with python_module(["salesflow", "speed"], env, speed_log):
            deadline = time.monotonic() + 300
            while landed_events(workdir / "lake")[0] < carried:
                if time.monotonic() > deadline:
                    raise RuntimeError("the speed layer did not land the stream within 300 s")
                time.sleep(1)
    events, bronze_bytes = landed_events(workdir / "lake")
    requests = _requests(workdir / "ledger.json")
    landing_lines = [line for line in speed_log.read_text().splitlines() if '"landed batch' in line]
    kind = "aggregated" if aggregation else "one event per record"
    kind += ", compressed" if compression else ""
    print(f"{kind}: {events} events landed from {len(records)} records, {requests} requests")
    return Run(records, events, bronze_bytes, requests, api_log_bytes, landing_lines)


def measure(workdir: Path, seconds: int, rate: int) -> list[Figure]:
    """The deployed configuration (aggregation on) against one event per record, and with
    compression on against it, same traffic."""
    packed = run_once(workdir / "aggregated", seconds, rate, aggregation=True)
    plain = run_once(workdir / "plain", seconds, rate, aggregation=False)
    compressed = run_once(workdir / "compressed", seconds, rate, aggregation=True, compression=True)

    def compared(metric: str, unit: str, value: Callable[[Run], float]) -> Figure:
        return figure(metric, value(packed), unit, baseline=value(plain))

    def with_compression(metric: str, unit: str, value: Callable[[Run], float]) -> Figure:
        return figure(f"{metric}, compressed", value(compressed), unit, baseline=value(packed))

    inflated = [
        len(stream_compression.decompress(record["Data"]))
        if stream_compression.is_compressed(record["Data"])
        else len(record["Data"])
        for record in compressed.records
    ]

    return [
        figure(
            "event bytes, one event per record",
            sum(plain.record_bytes) / len(plain.records),
            "bytes",
        ),
        compared(
            "stream records per event", "records/event", lambda r: r.per_event(len(r.records))
        ),
        compared(
            "stream bytes per record", "bytes", lambda r: sum(r.record_bytes) / len(r.records)
        ),
        *[compared(*measure) for measure in PER_EVENT_STREAM_MEASURES],
        figure(
            "stream bytes compressed per byte uncompressed",
            sum(compressed.record_bytes) / sum(inflated),
            "bytes/byte",
        ),
        *[with_compression(*measure) for measure in PER_EVENT_STREAM_MEASURES],
        figure("ingest API log bytes per request", packed.api_log_bytes / packed.requests, "bytes"),
        figure(
            "speed layer log bytes per landed batch",
            sum(len(line) + 1 for line in packed.landing_lines) / max(1, len(packed.landing_lines)),
            "bytes",
        ),
        figure(
            "bronze bytes per event, as landed (small files)",
            packed.bronze_bytes / packed.events,
            "bytes",
        ),
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
