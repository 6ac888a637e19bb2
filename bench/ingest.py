"""Ingest API benchmarks, each a ratio against a baseline measured in the same run.

1. Single-event POST throughput (in-memory sink) against a bare Starlette endpoint on the same
   uvicorn that only reads and parses the same JSON, driven by the same load client; and, as a
   reference for what is left to gain, against a FastAPI route that only validates the event.
2. Batch endpoint events/s (in-memory sink) against pydantic `validate_json` of the same
   payloads alone, in one process.
3. Coalescing: 64 concurrent single-event clients against moto Kinesis; mean records per
   PutRecords call (from the API's own metrics) and p50/p99 latency.

Servers run as uvicorn subprocesses (uvloop + httptools); the load client is another process
speaking raw HTTP/1.1 keep-alive over asyncio, so it costs little CPU next to the server on a
2-core machine. Run: `.venv/bin/python -m bench.ingest` (about 2 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response

from bench.results_file import Figure, figure, write_results
from contract.settings import hash_api_key

API_KEY = "bench-key"
SINGLE_DURATION = 6.0
BATCH_DURATION = 6.0
COALESCING_DURATION = 8.0
BATCH_SIZE = 100
ROUNDS = 3


def make_events(count: int, seed: int) -> list[dict[str, Any]]:
    """Realistic, valid sale events: 1 to 3 lines, exact totals, occurred a minute ago."""
    occurred_at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    catalog = [("NB-DELL-I5-16", "4599.90"), ("MOUSE-LOGI-M170", "79.90"), ("KB-K120", "99.00")]
    events = []
    for n in range(count):
        lines = 1 + (n + seed) % 3
        lines_sold = [
            (sku, 1 + (n + i) % 4, price) for i, (sku, price) in enumerate(catalog[:lines])
        ]
        items = [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines_sold]
        total = sum((q * Decimal(p) for _, q, p in lines_sold), Decimal("0.00"))
        events.append(
            {
                "event_id": f"B{seed:03d}{uuid.uuid4().hex}",
                "event_type": "sale",
                "occurred_at": occurred_at,
                "channel": "pos",
                "store_id": f"SP-STORE-{(n + seed) % 40:02d}",
                "order_id": f"PDV-{seed}-{n:06d}",
                "customer_id": f"C-{n % 997:06d}",
                "currency": "BRL",
                "payment_method": "pix",
                "items": items,
                "total": str(total),
            }
        )
    return events


def single_bodies(seed: int = 1) -> list[bytes]:
    return [orjson.dumps(event) for event in make_events(2000, seed)]


def batch_bodies(seed: int = 2) -> list[bytes]:
    events = make_events(20 * BATCH_SIZE, seed)
    return [
        orjson.dumps({"events": events[i : i + BATCH_SIZE]})
        for i in range(0, len(events), BATCH_SIZE)
    ]


# --- load client (runs as its own process) -----------------------------------------------------


def _request(port: int, path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"X-API-Key: {API_KEY}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_status(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return int(head[9:12])


async def _load(port: int, path: str, bodies: list[bytes], connections: int, seconds: float):
    requests = [_request(port, path, body) for body in bodies]
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    warmup_requests = 0
    loop = asyncio.get_running_loop()
    started = loop.time()
    warm_until, stop_at = started + 1.0, started + 1.0 + seconds

    async def connection(offset: int) -> None:
        nonlocal warmup_requests
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        index = offset
        while (now := loop.time()) < stop_at:
            writer.write(requests[index % len(requests)])
            index += connections
            status = await _read_status(reader)
            if now >= warm_until:
                latencies.append(loop.time() - now)
                statuses[status] += 1
            else:
                warmup_requests += 1
        writer.close()

    await asyncio.gather(*(connection(n) for n in range(connections)))
    return {
        "seconds": seconds,
        "latencies": latencies,
        "statuses": dict(statuses),
        "warmup_requests": warmup_requests,
    }


def load_main(args: argparse.Namespace) -> None:
    bodies = single_bodies() if args.kind == "single" else batch_bodies()
    import uvloop

    result = uvloop.run(_load(args.port, args.path, bodies, args.connections, args.seconds))
    Path(args.out).write_text(json.dumps(result))


def run_load(port: int, kind: str, path: str, connections: int, seconds: float) -> dict[str, Any]:
    """Run the load client as its own process; it reports through a file (not a pipe: uvloop
    leaves stdout non-blocking, which truncates large writes)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "load.json"
        subprocess.run(
            [
                *(
                    sys.executable,
                    "-m",
                    "bench.ingest",
                    "load",
                    "--port",
                    str(port),
                    "--kind",
                    kind,
                ),
                *("--path", path, "--connections", str(connections), "--seconds", str(seconds)),
                *("--out", str(out)),
            ],
            check=True,
        )
        result: dict[str, Any] = json.loads(out.read_text())
    return result


# --- servers (each runs as its own process) ----------------------------------------------------


def bare_app() -> Any:
    """The baseline: read the body, parse the same JSON, answer 202. Nothing else."""
    from starlette.applications import Starlette
    from starlette.routing import Route

    async def echo(request: Request) -> Response:
        orjson.loads(await request.body())
        return Response(b'{"ok":true}', status_code=202, media_type="application/json")

    async def health(request: Request) -> Response:
        return Response(b"ok")

    return Starlette(
        routes=[
            Route("/v1/sales", echo, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
        ]
    )


def validate_only_app() -> Any:
    """A reference, not a target: the least a FastAPI route validating the contract can cost."""
    from contract.event import RECEIVED_AT_CONTEXT_KEY, SaleEvent
    from contract.telemetry import TELEMETRY_OFF

    app = FastAPI(telemetry=TELEMETRY_OFF)

    @app.post("/v1/sales")
    async def validate(request: Request) -> Response:
        context = {RECEIVED_AT_CONTEXT_KEY: datetime.now(UTC)}
        SaleEvent.model_validate_json(await request.body(), context=context)
        return Response(b'{"ok":true}', status_code=202, media_type="application/json")

    @app.get("/healthz")
    async def health() -> Response:
        return Response(b"ok")

    return app


def serve_main(args: argparse.Namespace) -> None:
    import uvicorn

    if args.app == "bare":
        app = bare_app()
    elif args.app == "fastapi-validate":
        app = validate_only_app()
    else:
        from contract.settings import Settings
        from ingest_api.app import create_app

        app = create_app(Settings())
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


class Server:
    def __init__(self, app: str, env: dict[str, str] | None = None) -> None:
        from devstack.local_servers import free_port, wait_for_http

        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.ingest", "serve", "--app", app, "--port", str(self.port)],
            env={**os.environ, **(env or {})},
            stderr=subprocess.DEVNULL,
        )
        wait_for_http(f"http://127.0.0.1:{self.port}/healthz", self.process, timeout=60)

    def get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as answer:
            body: bytes = answer.read()
            return body.decode()

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        from devstack.local_servers import stop

        stop(self.process)


def api_env(**extra: str) -> dict[str, str]:
    return {"SALESFLOW_API_KEYS": f"bench:{hash_api_key(API_KEY)}", **extra}


@dataclass(frozen=True)
class Run:
    rate: float
    """Successful requests per wall-clock second."""
    per_cpu_second: float
    """Successful requests per second of the server process's CPU time: robust to neighbours
    stealing the machine, which the wall-clock rate is not."""


def measure(
    app: str, env: dict[str, str] | None, kind: str, path: str, connections: int, seconds: float
) -> Run:
    server = Server(app, env)
    try:
        cpu_before = server.cpu_seconds()
        result = run_load(server.port, kind, path, connections, seconds)
        cpu_used = server.cpu_seconds() - cpu_before
    finally:
        server.stop()
    ok = sum(count for status, count in result["statuses"].items() if status.startswith("2"))
    if ok != sum(result["statuses"].values()):
        raise RuntimeError(f"{app} answered errors under load: {result['statuses']}")
    total = ok + result["warmup_requests"]
    return Run(rate=ok / result["seconds"], per_cpu_second=total / cpu_used)


# --- the three measurements --------------------------------------------------------------------


def bench_single_event() -> list[Figure]:
    """Medians of alternating rounds, so a noisy neighbour hurts both sides alike."""
    bare, floor, api = [], [], []
    for _ in range(ROUNDS):
        bare.append(measure("bare", None, "single", "/v1/sales", 16, SINGLE_DURATION))
        floor.append(measure("fastapi-validate", None, "single", "/v1/sales", 16, SINGLE_DURATION))
        env = api_env(SALESFLOW_SINK="memory")
        api.append(measure("api", env, "single", "/v1/sales", 16, SINGLE_DURATION))
    api_rate = statistics.median(run.rate for run in api)
    return [
        figure(
            "single POST vs bare Starlette: req/s",
            api_rate,
            "req/s",
            statistics.median(run.rate for run in bare),
            ">= 0.6",
        ),
        figure(
            "single POST vs bare Starlette: req/CPU-s",
            statistics.median(run.per_cpu_second for run in api),
            "req/cpu-s",
            statistics.median(run.per_cpu_second for run in bare),
            ">= 0.6",
        ),
        figure("single POST, memory sink, absolute", api_rate, "req/s", target=">= 6000"),
        figure(
            "single POST vs FastAPI route only validating",
            statistics.median(run.per_cpu_second for run in api),
            "req/cpu-s",
            statistics.median(run.per_cpu_second for run in floor),
        ),
    ]


def bench_batch() -> list[Figure]:
    from pydantic import BaseModel, ConfigDict

    from contract.event import RECEIVED_AT_CONTEXT_KEY, SaleEvent

    class Envelope(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")
        events: list[SaleEvent]

    bodies = batch_bodies()
    context = {RECEIVED_AT_CONTEXT_KEY: datetime.now(UTC)}
    validated = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    while time.perf_counter() - started < 3.0:
        for body in bodies:
            validated += len(Envelope.model_validate_json(body, context=context).events)
    baseline = validated / (time.perf_counter() - started)
    baseline_per_cpu = validated / (time.process_time() - cpu_started)
    env = api_env(SALESFLOW_SINK="memory")
    runs = [
        measure("api", env, "batch", "/v1/sales/batch", 2, BATCH_DURATION) for _ in range(ROUNDS)
    ]
    return [
        figure(
            f"batch POST ({BATCH_SIZE}) vs validate_json: events/s",
            statistics.median(run.rate for run in runs) * BATCH_SIZE,
            "events/s",
            baseline,
            ">= 0.5",
        ),
        figure(
            f"batch POST ({BATCH_SIZE}) vs validate_json: events/CPU-s",
            statistics.median(run.per_cpu_second for run in runs) * BATCH_SIZE,
            "events/cpu-s",
            baseline_per_cpu,
            ">= 0.5",
        ),
    ]


def bench_coalescing() -> list[Figure]:
    from contract.aws import aws_client
    from contract.settings import Settings
    from devstack.local_servers import FAKE_CREDENTIALS, moto_server

    os.environ.update(FAKE_CREDENTIALS)
    with moto_server() as endpoint:
        settings = Settings(aws_endpoint_url=endpoint, name_prefix="bench")
        aws_client(settings, "kinesis").create_stream(StreamName=settings.stream_name, ShardCount=4)
        env = api_env(
            SALESFLOW_SINK="kinesis",
            SALESFLOW_AWS_ENDPOINT_URL=endpoint,
            SALESFLOW_NAME_PREFIX="bench",
            SALESFLOW_PUBLISH_BUDGET_SECONDS="10",
        )
        server = Server("api", env)
        try:
            result = run_load(server.port, "single", "/v1/sales", 64, COALESCING_DURATION)
            metrics = server.get("/metrics")
        finally:
            server.stop()
    calls = _metric(metrics, "salesflow_sink_records_per_call_count")
    records = _metric(metrics, "salesflow_sink_records_per_call_sum")
    latencies = sorted(result["latencies"])
    ok = sum(c for s, c in result["statuses"].items() if s.startswith("2"))
    if ok != len(latencies):
        raise RuntimeError(f"errors under load against moto Kinesis: {result['statuses']}")
    return [
        figure(
            "64 clients -> moto Kinesis: records per PutRecords",
            records / calls,
            "records",
            target=">= 10",
        ),
        figure("64 clients -> moto Kinesis: throughput", ok / result["seconds"], "req/s"),
        figure(
            "64 clients -> moto Kinesis: p50 latency",
            statistics.quantiles(latencies, n=100)[49] * 1000,
            "ms",
        ),
        figure(
            "64 clients -> moto Kinesis: p99 latency",
            statistics.quantiles(latencies, n=100)[98] * 1000,
            "ms",
        ),
    ]


def _metric(text: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"metric {name} missing from /metrics")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command")
    load = commands.add_parser("load")
    load.add_argument("--port", type=int, required=True)
    load.add_argument("--kind", choices=["single", "batch"], required=True)
    load.add_argument("--path", required=True)
    load.add_argument("--connections", type=int, required=True)
    load.add_argument("--seconds", type=float, required=True)
    load.add_argument("--out", required=True)
    serve = commands.add_parser("serve")
    serve.add_argument("--app", choices=["bare", "fastapi-validate", "api"], required=True)
    serve.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.command == "load":
        load_main(args)
    elif args.command == "serve":
        serve_main(args)
    else:
        write_results("ingest", bench_single_event() + bench_batch() + bench_coalescing())


if __name__ == "__main__":
    main()
