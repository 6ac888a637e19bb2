"""A small fault-injecting HTTP proxy in front of the moto server, for the fault campaign.

Every AWS call of the stack goes through it (`SALESFLOW_AWS_ENDPOINT_URL` points here) and is
forwarded to the emulator unchanged, unless a fault is switched on:

- `record_failure_fraction`: PutRecords fails that share of its records the way a throttled
  shard does. The chosen records are taken out of the forwarded call, so they really are not
  written, and `ProvisionedThroughputExceededException` entries are spliced back into the answer
  at their positions.
- `call_error_fraction`: that share of PutRecords calls is answered 500 `InternalFailure`
  without reaching the emulator.
- `slow_fraction`, `slow_seconds`: that share of PutRecords calls is held past the ingest API's
  publish budget, then forwarded: the records are written although the API already answered 503,
  so the client's resend makes a duplicate.
- `s3_writes_failing`: the S3 write calls named there (`S3_WRITES`: PutObject, CopyObject,
  UploadPart and the calls that start and complete a multipart upload) are answered 503
  `SlowDown` without reaching the emulator, as while S3 throttles a prefix. Reads, listings and
  deletes go through.

It runs in the test's process (uvicorn in a thread) and counts what it did, per fault. With
`log_entries` on it also keeps every PutRecords entry it answered (`AnsweredEntry`): its bytes,
whether it failed, and when the answer went back, so a test can tell which events a failed
aggregated record carried and when each was acknowledged.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devstack.local_servers import free_port

PUT_RECORDS = "Kinesis_20131202.PutRecords"
S3_WRITES = frozenset(
    {
        "PutObject",
        "CopyObject",
        "UploadPart",
        "CreateMultipartUpload",
        "CompleteMultipartUpload",
    }
)
_HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding"}


@dataclass(frozen=True)
class AnsweredEntry:
    data: bytes
    failed: bool
    answered_at: float
    """`time.monotonic()` when the answer left for the caller."""


@dataclass
class Faults:
    record_failure_fraction: float = 0.0
    call_error_fraction: float = 0.0
    slow_fraction: float = 0.0
    slow_seconds: float = 0.0
    s3_writes_failing: frozenset[str] = frozenset()
    seed: int = 11
    log_entries: bool = False
    injected: Counter[str] = field(default_factory=Counter)
    answered: list[AnsweredEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self) -> float:
        with self._lock:
            return self._rng.random()

    def count(self, fault: str, n: int = 1) -> None:
        with self._lock:
            self.injected[fault] += n

    def log(self, records: list[dict[str, str]], answers: list[dict[str, str]]) -> None:
        if not self.log_entries:
            return
        now = time.monotonic()
        with self._lock:
            self.answered.extend(
                AnsweredEntry(base64.b64decode(record["Data"]), "ErrorCode" in answer, now)
                for record, answer in zip(records, answers, strict=True)
            )

    def clear(self) -> None:
        self.record_failure_fraction = self.call_error_fraction = self.slow_fraction = 0.0
        self.s3_writes_failing = frozenset()


class _Proxy:
    def __init__(self, upstream: str, faults: Faults) -> None:
        self.upstream = upstream
        self.faults = faults
        self.client = httpx.AsyncClient(base_url=upstream, timeout=60)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        target = request.headers.get("x-amz-target", "")
        if target == PUT_RECORDS:
            return await self._put_records(request, body)
        write = None if target else s3_write(request)
        if write is not None and write in self.faults.s3_writes_failing:
            self.faults.count(f"S3 {write} answered 503")
            return Response(
                b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate."
                b"</Message></Error>",
                status_code=503,
                media_type="application/xml",
            )
        return await self._forward(request, body)

    async def _put_records(self, request: Request, body: bytes) -> Response:
        faults = self.faults
        if faults.draw() < faults.call_error_fraction:
            faults.count("PutRecords answered 500")
            return Response(
                json.dumps({"__type": "InternalFailure", "message": "injected"}).encode(),
                status_code=500,
                media_type="application/x-amz-json-1.1",
            )
        if faults.draw() < faults.slow_fraction:
            faults.count("PutRecords held past the publish budget")
            await asyncio.sleep(faults.slow_seconds)
        call = json.loads(body)
        records = call["Records"]
        failing = [faults.draw() < faults.record_failure_fraction for _ in records]
        if not any(failing):
            response = await self._forward(request, body)
            if response.status_code == 200:
                faults.log(records, json.loads(bytes(response.body))["Records"])
            return response
        faults.count("records failed as throttled", sum(failing))
        kept = [record for record, fail in zip(records, failing, strict=True) if not fail]
        answers: list[dict[str, str]] = []
        if kept:
            forwarded = await self._upstream(
                request, json.dumps({**call, "Records": kept}).encode()
            )
            if forwarded.status_code != 200:
                return Response(forwarded.content, status_code=forwarded.status_code)
            answers = forwarded.json()["Records"]
        written = iter(answers)
        spliced = [
            {
                "ErrorCode": "ProvisionedThroughputExceededException",
                "ErrorMessage": "Rate exceeded for shard (injected)",
            }
            if fail
            else next(written)
            for fail in failing
        ]
        failed = sum(1 for answer in spliced if "ErrorCode" in answer)
        faults.log(records, spliced)
        return Response(
            json.dumps({"FailedRecordCount": failed, "Records": spliced}).encode(),
            media_type="application/x-amz-json-1.1",
        )

    async def _forward(self, request: Request, body: bytes) -> Response:
        answer = await self._upstream(request, body)
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_HEADERS}
        kept.pop("content-encoding", None)
        if request.method == "HEAD" and "content-length" in answer.headers:
            kept["content-length"] = answer.headers["content-length"]
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    async def _upstream(self, request: Request, body: bytes) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        query = request.url.query
        return await self.client.request(
            request.method,
            request.url.path + (f"?{query}" if query else ""),
            content=body,
            headers=headers,
        )


def s3_write(request: Request) -> str | None:
    """The S3 write `request` is (PutObject, CopyObject, UploadPart, a multipart upload's start
    or completion), or None: pyarrow writes a large object in parts and a lake's `move` is a
    copy, so failing only plain PUTs would leave those paths untested."""
    query = request.query_params
    if request.method == "PUT":
        if "x-amz-copy-source" in request.headers:
            return "CopyObject"
        return "UploadPart" if "uploadId" in query else "PutObject"
    if request.method == "POST" and "uploads" in query:
        return "CreateMultipartUpload"
    if request.method == "POST" and "uploadId" in query:
        return "CompleteMultipartUpload"
    return None


@contextmanager
def fault_proxy(upstream: str) -> Iterator[tuple[str, Faults]]:
    """The proxy on a free port in front of `upstream`; yields its URL and its switchable faults."""
    faults = Faults()
    proxy = _Proxy(upstream, faults)
    app = Starlette(
        routes=[
            Route(
                "/{path:path}",
                proxy.handle,
                methods=["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"],
            )
        ]
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the fault proxy did not start within 30 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", faults
    finally:
        server.should_exit = True
        thread.join(timeout=10)
