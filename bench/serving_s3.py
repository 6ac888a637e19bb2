"""What a DuckDB serving task asks of S3 (ADR 0024): `python -m bench.serving_s3`.

On AWS the serving task answers the dashboard with the DuckDB engine over the lake, so what a
refresh costs is S3 requests, not Athena's scans. This measures them on the lake of
`bench.athena_scan` (a day of simulator events since T, landed by the speed layer's `land()` in
500-event batches and compacted every 10 minutes; 30 days of gold history published with per-day
manifests; the demo catalog's reference tables), uploaded to the moto server. Its publication
holds `sales_wide` alone: the marts and Customer 360 tables a deployment also publishes are
listed once per installation, like `sales_wide`'s, and read by the questions that ask for them
(the customers panel, from one small file each). The query API runs
the DuckDB engine over `s3://` as the Terraform root configures it (its tables in a database
file, the dedup window of 3 days), every request to S3 recorded by the emulator itself (moto's
recorder):

- the engine's installation of the published run (bronze since T, gold's sales of the window);
- a refresh with nothing new: what every `SALESFLOW_SERVING_REFRESH_SECONDS` costs each task;
- a refresh after one more landed file;
- one dashboard refresh's requests (`bench.athena_scan.refresh_requests`, the page's defaults for
  the day most events fall on) answered through the query API, sent together as the page sends
  them, so their questions share the engine's refreshes (`serving.engines.shared_refresh`).

S3 bills LISTs as PUT-class requests and GETs (HEADs too) as GET-class; data read within the
region is free (the bytes are those the GETs' ranges asked for). Baseline from the same lake: the
whole bronze files since T, which each of the seven real-time queries of a refresh on Athena read
about once (`bench.athena_scan`). Results: bench/results/serving_s3.json, read by
devstack/cost/inputs.py (the requests of an idle refresh, of a merge, of a dashboard refresh).
Takes about 3 minutes on 2 cores at its default 200k events (`--events`).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from bench.athena_scan import (
    BATCH_EVENTS,
    DEDUP_DAYS,
    GOLD_DAYS,
    GOLD_EVENTS_PER_DAY,
    LAKE_PREFIX,
    SEED,
    Lake,
    Request,
    delivered,
    event_factory,
    lake_on_emulator,
    lake_with_gold,
    local_settings,
    refresh_requests,
)
from bench.results_file import Figure, figure, write_results
from contract.aws import aws_client
from contract.lake import PUBLISHED_POINTER
from contract.lake_io import LakeFiles
from contract.settings import Settings
from devstack.catalog import build_catalog
from devstack.local_servers import FAKE_CREDENTIALS
from devstack.moto_recorder import S3Request, recorded_s3_requests
from serving.app import create_app
from serving.engines.duckdb_engine import DuckDBEngine
from speed_layer.landing import land
from speed_layer.records import Batch

EVENTS = 200_000
"""Real-time events since T: what a refresh asks of S3 follows the files since T (one per closed
hour, and the last minutes' landed ones), not the events, and the lake builds in a minute."""
IDLE_REFRESHES = 5
SETTLE_SECONDS = 12.0
"""DuckDB reuses what it read of a file only once the file is 10 seconds old (one written within
its time stamp's resolution could change unseen); a deployment's gold files are hours old and
most of bronze's since T minutes, so the lake settles this long after its upload, before the
engine reads it. Measured without it, a dashboard refresh read gold's files again for every
question."""


@dataclass(frozen=True)
class Requests:
    """S3 requests of one step, as S3 bills them."""

    lists: int
    gets: int
    """GET-class: object GETs and HEADs."""
    get_bytes: int
    """What the GETs' ranges asked for."""

    @classmethod
    def of(cls, recorded: list[S3Request]) -> Requests:
        lists = gets = get_bytes = 0
        for request in recorded:
            if request.is_listing:
                lists += 1
            elif request.key and request.method in ("GET", "HEAD"):
                gets += 1
                asked = re.fullmatch(r"bytes=(\d+)-(\d+)", request.headers.get("Range", ""))
                if request.method == "GET" and asked:
                    get_bytes += int(asked[2]) - int(asked[1]) + 1
        return cls(lists, gets, get_bytes)


@contextmanager
def counted(endpoint: str, recording: Path) -> Iterator[list[Requests]]:
    """The S3 requests the emulator received inside the block, counted once it ends (the
    list's one item)."""
    result: list[Requests] = []
    with recorded_s3_requests(endpoint, recording) as received:
        yield result
    result.append(Requests.of(received))


def land_more(settings: Settings, events: int) -> None:
    """One more landed file of `events` new simulator events, ingested a moment ago."""
    factory = event_factory(build_catalog(), SEED + 1, "serving-s3")
    now = datetime.now(UTC)
    records = [delivered(factory, now, f"more:{number}") for number in range(events)]
    report = land(
        Batch("serving-s3-more", tuple(records)), LakeFiles.open(settings.lake_uri, settings)
    )
    if not report.ok or report.quarantined:
        raise RuntimeError(f"the speed layer did not land the file: {report}")


def measure(workdir: Path, events: int, batch_events: int) -> list[Figure]:
    local = workdir / "lake"
    lake, gold, day = lake_with_gold(local, events, batch_events, GOLD_DAYS, GOLD_EVENTS_PER_DAY)
    recording = workdir / "moto-recording.jsonl"
    os.environ["MOTO_RECORDER_FILEPATH"] = str(recording)
    with lake_on_emulator(local) as (endpoint, direct):
        aws_client(direct, "s3").put_object(
            Bucket=direct.lake_bucket,
            Key=f"{LAKE_PREFIX}/{PUBLISHED_POINTER}",
            Body=gold.publication.model_dump_json().encode(),
        )
        time.sleep(SETTLE_SECONDS)
        serving = local_settings(local).model_copy(
            update={
                "aws_endpoint_url": endpoint,
                "lake_uri": direct.lake_uri,
                "realtime_dedup_days": DEDUP_DAYS,
                "serving_database": str(workdir / "serving.duckdb"),
            }
        )
        engine = DuckDBEngine(serving)
        try:
            with counted(endpoint, recording) as install:
                engine.refresh()
            with counted(endpoint, recording) as idle:
                for _ in range(IDLE_REFRESHES):
                    engine.refresh()
            land_more(direct, batch_events)
            with counted(endpoint, recording) as merge:
                engine.refresh()
            with (
                TestClient(create_app(serving, engine)) as client,
                counted(endpoint, recording) as dashboard,
            ):
                ask_at_once(client, refresh_requests(day))
        finally:
            engine.close()
    return figures_of(lake, install[0], idle[0], merge[0], dashboard[0])


def ask_at_once(client: TestClient, requests: list[Request]) -> None:
    """Send `requests` together, as the dashboard's page does (`Promise.all` in
    serving/static/dashboard.html): their questions share the engine's refreshes."""
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        responses = list(
            pool.map(lambda request: client.get(request.path, params=request.params), requests)
        )
    for request, response in zip(requests, responses, strict=True):
        if response.status_code not in (200, 404):
            raise RuntimeError(f"{request.path} answered {response.text}")


def figures_of(
    lake: Lake, install: Requests, idle: Requests, merge: Requests, dashboard: Requests
) -> list[Figure]:
    return [
        figure("bronze files since T", lake.files, "files"),
        figure("installation: S3 GETs", install.gets, "requests"),
        figure("installation: S3 LISTs", install.lists, "requests"),
        figure("installation: bytes read from S3", install.get_bytes / 2**20, "MiB"),
        figure("refresh with nothing new: S3 LISTs", idle.lists / IDLE_REFRESHES, "requests"),
        figure("refresh with nothing new: S3 GETs", idle.gets / IDLE_REFRESHES, "requests"),
        figure("refresh after a landed file: S3 LISTs", merge.lists, "requests"),
        figure("refresh after a landed file: S3 GETs", merge.gets, "requests"),
        figure(
            "a merge's S3 GETs beyond an idle refresh's",
            merge.gets - idle.gets / IDLE_REFRESHES,
            "requests",
        ),
        figure("dashboard refresh: S3 GETs", dashboard.gets, "requests"),
        figure("dashboard refresh: S3 LISTs", dashboard.lists, "requests"),
        figure(
            "dashboard refresh: bytes read from S3 per event since T",
            dashboard.get_bytes / lake.events,
            "bytes",
            lake.bytes / lake.events,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serving_s3", description=__doc__)
    parser.add_argument("--events", type=int, default=EVENTS, help="real-time events since T")
    parser.add_argument(
        "--batch-events", type=int, default=BATCH_EVENTS, help="events per landed file"
    )
    args = parser.parse_args()
    os.environ.update({k: v for k, v in FAKE_CREDENTIALS.items() if k not in os.environ})
    with tempfile.TemporaryDirectory(prefix="bench-serving-s3-") as workdir:
        figures = measure(Path(workdir), args.events, args.batch_events)
    write_results("serving_s3", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
