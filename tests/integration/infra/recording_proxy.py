"""An HTTP proxy in front of the moto server that writes down every AWS call the code makes.

The code under test talks to `endpoint` as if it were AWS (boto3 and pyarrow's S3 filesystem
alike, so calls made from C++ are seen too); each request is forwarded to moto unchanged and
recorded. `calls()` turns the recording into what IAM evaluates: an action, the resource ARNs it
needs, and the request's condition keys (`s3:prefix` of a listing).
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    response: bytes = b""
    """The answer's body, kept for the JSON protocols (Athena's query ids name no workgroup)."""


@dataclass(frozen=True)
class Call:
    """One authorisation IAM makes for a request: `action` on every ARN of `resources`."""

    action: str
    resources: tuple[str, ...]
    context: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def __str__(self) -> str:
        extra = f" {self.context}" if self.context else ""
        return f"{self.action} on {', '.join(self.resources)}{extra}"


class RecordingProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._lock = threading.Lock()
        self._requests: list[Recorded] = []
        self.recording = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @contextmanager
    def recorded(self) -> Iterator[list[Recorded]]:
        """Record the calls made inside the block (setup before it is not the code's doing)."""
        with self._lock:
            self._requests = []
        self.recording = True
        found: list[Recorded] = []
        try:
            yield found
        finally:
            self.recording = False
            with self._lock:
                found.extend(self._requests)

    def _record(self, request: Recorded) -> None:
        if self.recording:
            with self._lock:
                self._requests.append(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the recording is the log."""

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _forward(self) -> None:
                body = self._body()
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("transfer-encoding", "connection", "expect")
                }
                headers["Content-Length"] = str(len(body))
                split = urlsplit(self.path)
                upstream = http.client.HTTPConnection(*proxy._upstream, timeout=120)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    payload = response.read()
                    proxy._record(
                        Recorded(
                            self.command,
                            split.path,
                            parse_qs(split.query, keep_blank_values=True),
                            {k.lower(): v for k, v in headers.items()},
                            body,
                            payload if "x-amz-target" in {k.lower() for k in headers} else b"",
                        )
                    )
                    self.send_response_only(response.status, response.reason)
                    for key, value in response.getheaders():
                        if key.lower() in ("transfer-encoding", "connection", "content-length"):
                            continue
                        self.send_header(key, value)
                    length = (
                        response.getheader("Content-Length") if self.command == "HEAD" else None
                    )
                    self.send_header("Content-Length", length or str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                finally:
                    upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward  # noqa: N815

        return Handler

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def calls(requests: list[Recorded]) -> list[Call]:
    """What IAM authorises for each recorded request, in order (unknown requests fail loudly)."""
    workgroups = {}
    for request in requests:
        if request.headers.get("x-amz-target", "").endswith(".StartQueryExecution"):
            started = json.loads(request.response or b"{}").get("QueryExecutionId")
            workgroups[started] = json.loads(request.body).get("WorkGroup", "primary")
    found: list[Call] = []
    for request in requests:
        found += _calls_of(request, workgroups)
    return found


def _service(request: Recorded) -> str:
    match = re.search(
        r"Credential=[^/]+/\d+/[^/]+/([^/]+)/", request.headers.get("authorization", "")
    )
    if match:
        return match[1]
    target = request.headers.get("x-amz-target", "")
    if target:
        return target.split(".")[0].lower()
    return "s3"


def _calls_of(request: Recorded, workgroups: dict[str, str]) -> list[Call]:
    service = _service(request)
    if service == "s3":
        return _s3_calls(request)
    if service == "sts":
        return []
    target = request.headers.get("x-amz-target", "")
    if target:
        operation = target.rsplit(".", 1)[1]
        body = json.loads(request.body or b"{}")
    else:
        form = parse_qs(request.body.decode())
        operation = form["Action"][0]
        body = {key: values[0] for key, values in form.items()}
    if "QueryExecutionId" in body and "WorkGroup" not in body:
        body["WorkGroup"] = workgroups.get(str(body["QueryExecutionId"]), "<unknown>")
    # SQS authorises a batch call by its single-message action.
    action = _SQS_BATCHES.get(operation, operation) if service == "sqs" else operation
    return [Call(f"{service}:{action}", _json_resources(service, operation, body))]


_SQS_BATCHES = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def _json_resources(service: str, operation: str, body: dict[str, Any]) -> tuple[str, ...]:
    arn = f"{REGION}:{ACCOUNT}"
    if service == "glue":
        catalog = f"arn:aws:glue:{arn}:catalog"
        database_input = body.get("DatabaseInput") or {}
        database = str(
            body.get("DatabaseName") or body.get("Name") or database_input.get("Name", "")
        )
        if operation in ("GetDatabase", "CreateDatabase"):
            return (catalog, f"arn:aws:glue:{arn}:database/{database}")
        table = body.get("Name") or (body.get("TableInput") or {}).get("Name")
        resources = [catalog, f"arn:aws:glue:{arn}:database/{database}"]
        resources.append(f"arn:aws:glue:{arn}:table/{database}/{table or '*'}")
        return tuple(resources)
    if service == "athena":
        workgroup = str(body.get("WorkGroup") or body.get("Name") or "")
        return (f"arn:aws:athena:{arn}:workgroup/{workgroup}",)
    if service == "kinesis":
        name = str(body.get("StreamName") or str(body.get("StreamARN", "")).rsplit("/", 1)[-1])
        return (f"arn:aws:kinesis:{arn}:stream/{name}",)
    if service == "sqs":
        name = str(body.get("QueueName") or str(body.get("QueueUrl", "")).rsplit("/", 1)[-1])
        return (f"arn:aws:sqs:{arn}:{name}",)
    if service == "secretsmanager":
        return (f"arn:aws:secretsmanager:{arn}:secret:{body.get('SecretId')}",)
    if service == "dynamodb":
        return (f"arn:aws:dynamodb:{arn}:table/{body.get('TableName')}",)
    return ("*",)


def _s3_calls(request: Recorded) -> list[Call]:
    bucket, _, key = unquote(request.path).lstrip("/").partition("/")
    bucket_arn = f"arn:aws:s3:::{bucket}"
    object_arn = f"{bucket_arn}/{key}"
    if not key:
        return _bucket_calls(request, bucket_arn)
    return _object_calls(request, object_arn)


def _bucket_calls(request: Recorded, bucket_arn: str) -> list[Call]:
    query = request.query
    method = request.method
    if method == "GET" and "location" in query:
        return [Call("s3:GetBucketLocation", (bucket_arn,))]
    if method == "GET" and "versions" in query:
        prefix = query.get("prefix", [""])[0]
        return [Call("s3:ListBucketVersions", (bucket_arn,), {"s3:prefix": prefix})]
    if method == "GET" and "uploads" in query:
        return [Call("s3:ListBucketMultipartUploads", (bucket_arn,))]
    if method in ("GET", "HEAD"):
        prefix = query.get("prefix", [""])[0]
        return [Call("s3:ListBucket", (bucket_arn,), {"s3:prefix": prefix})]
    if method == "POST" and "delete" in query:
        keys = re.findall(rb"<Key>(.*?)</Key>", request.body)
        deletes = []
        for deleted in keys:
            name = deleted.decode().replace("&amp;", "&")
            deletes.append(Call("s3:DeleteObject", (f"{bucket_arn}/{name}",)))
        return deletes
    if method == "PUT" and not query:
        return [Call("s3:CreateBucket", (bucket_arn,))]
    raise AssertionError(f"an S3 bucket request this map does not know: {request}")


def _object_calls(request: Recorded, object_arn: str) -> list[Call]:
    query = request.query
    method = request.method
    if method in ("GET", "HEAD"):
        action = "s3:GetObjectVersion" if "versionId" in query else "s3:GetObject"
        return [Call(action, (object_arn,))]
    if method == "DELETE":
        if "uploadId" in query:
            return [Call("s3:AbortMultipartUpload", (object_arn,))]
        action = "s3:DeleteObjectVersion" if "versionId" in query else "s3:DeleteObject"
        return [Call(action, (object_arn,))]
    if method in ("PUT", "POST"):
        found = [Call("s3:PutObject", (object_arn,))]
        source = request.headers.get("x-amz-copy-source")
        if source:
            found.append(Call("s3:GetObject", (f"arn:aws:s3:::{unquote(source).lstrip('/')}",)))
        return found
    raise AssertionError(f"an S3 object request this map does not know: {request}")
