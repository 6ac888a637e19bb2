"""The request as the SDKs send it: write key, optional gzip, Segment's size limits, JSON.

Limits are Segment's documented ones, applied to the decompressed JSON: 500 KB per request and
32 KB per message (the per-message check is in `ingest_api.segment.batch`). A gzip body is
inflated incrementally with a cap, so a small compressed body cannot expand without bound.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

import orjson
from fastapi import Request

from contract.settings import ApiKey
from ingest_api.auth import api_key_for
from ingest_api.errors import ApiError

MAX_BATCH_BYTES = 500 * 1024
MAX_MESSAGE_BYTES = 32 * 1024
GZIP_SLACK_BYTES = 1024
"""gzip may grow incompressible data by a few bytes per 16 KiB block: the compressed body may
exceed MAX_BATCH_BYTES by this much and still inflate to a body within the limit."""
_GZIP_WBITS = zlib.MAX_WBITS | 16


def basic_auth_user(authorization: str | None) -> str | None:
    """The user name of an `Authorization: Basic` header (the write key); None without one."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise unauthorized(
            f"the Authorization scheme {scheme[:20]!r} is not supported; send the write key as "
            "the user name of Basic auth (the Segment and RudderStack SDKs do this)"
        )
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise unauthorized(
            "the Basic auth credentials are not base64 of 'writeKey:'; send the write key as "
            "the user name and an empty password"
        ) from None
    user, _, _ = decoded.partition(":")
    return user


def key_for_write_key(write_key: Any, keys: list[ApiKey]) -> ApiKey:
    """The API key a write key is (same keys, same hashing); 401 if unknown."""
    if not isinstance(write_key, str) or not write_key:
        raise unauthorized(
            "send your write key (a salesflow API key) as the Basic auth user name or as "
            "`writeKey` in the body"
        )
    try:
        return api_key_for(write_key, keys)
    except ApiError:
        raise unauthorized(
            "the write key is not a known salesflow API key; check the key the SDK is "
            "configured with, or ask for one"
        ) from None


async def read_body(request: Request) -> bytes:
    """The decompressed body: 415 for an unsupported encoding, 413 over the limit, 400 bad gzip."""
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise ApiError(
            415,
            "unsupported_content_encoding",
            f"Content-Encoding {encoding[:40]!r} is not supported; send gzip or no encoding",
        )
    compressed = encoding == "gzip"
    raw = await _read_capped(request, MAX_BATCH_BYTES + (GZIP_SLACK_BYTES if compressed else 0))
    return _gunzip(raw) if compressed else raw


def parse_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise ApiError(
            400, "malformed_json", f"the body is not valid JSON: {error}; send a JSON object"
        ) from None


def unauthorized(message: str) -> ApiError:
    return ApiError(
        401, "unauthorized", message, headers={"WWW-Authenticate": 'Basic realm="salesflow"'}
    )


def too_large(what: str, size: int, limit: int) -> ApiError:
    return ApiError(
        413,
        "payload_too_large",
        f"{what} is over {limit // 1024} KB ({size} bytes); Segment's limits are 32 KB per "
        "message and 500 KB per batch: send fewer or smaller messages per request",
    )


async def _read_capped(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise too_large("the body", int(declared), MAX_BATCH_BYTES)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > max_bytes:
            raise too_large("the body", received, MAX_BATCH_BYTES)
        chunks.append(chunk)
    return b"".join(chunks)


def _gunzip(data: bytes) -> bytes:
    """Inflate every gzip member of `data`, refusing (413) as soon as output passes the limit."""
    inflated = bytearray()
    remaining = data
    while remaining:
        inflater = zlib.decompressobj(_GZIP_WBITS)
        try:
            inflated += inflater.decompress(remaining, MAX_BATCH_BYTES + 1 - len(inflated))
        except zlib.error as error:
            raise _bad_gzip(str(error)) from None
        if len(inflated) > MAX_BATCH_BYTES:
            raise too_large("the decompressed body", len(inflated), MAX_BATCH_BYTES)
        if not inflater.eof:
            raise _bad_gzip("the gzip stream is truncated")
        remaining = inflater.unused_data
    return bytes(inflated)


def _bad_gzip(reason: str) -> ApiError:
    return ApiError(
        400,
        "malformed_gzip",
        f"the body is not valid gzip ({reason}); send gzip data with Content-Encoding: gzip, "
        "or drop that header",
    )
