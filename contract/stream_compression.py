"""Optionally compressed Kinesis records: a gzip member around what the record would carry.

On-demand Kinesis bills the bytes put and the bytes read, and a stream record of JSON sale events
(one event, or a KPL aggregate of several) is mostly repeated field names and similar values. The
ingest API puts each record gzip-compressed (`ingest_api.sinks.kinesis`) unless
`SALESFLOW_KINESIS_COMPRESSION=false`; every consumer of ours reads both kinds, so the setting
can change at any time with records of both on the stream (`speed_layer.deaggregation`).

gzip because it names itself: a record that starts with its two magic bytes is neither JSON (which
starts with `{` or white space) nor a KPL aggregate (its own four magic bytes), and any tool can
read it with the standard library of its language. The trade: a consumer that is not ours (a
Firehose delivery stream, another KCL application) must inflate a record before it can
de-aggregate it, so a deployment that adds one turns compression off.

A record that would not shrink goes as it is, so compression never adds bytes to a call. Reading
is bounded: a record that inflates past `MAX_INFLATED_BYTES` (Kinesis's own 1 MiB record limit;
our aggregates are 24 KiB) is refused, not expanded without limit.
"""

from __future__ import annotations

import gzip
import zlib

from contract.errors import CompressedRecordError

GZIP_MAGIC = b"\x1f\x8b"
LEVEL = 6
"""zlib's default level."""
MAX_INFLATED_BYTES = 1024 * 1024
_GZIP_WINDOW = 16 + zlib.MAX_WBITS
"""`wbits` for a gzip container (header and CRC checked), not a raw or zlib stream."""

__all__ = ["CompressedRecordError", "compress", "decompress", "is_compressed"]


def compress(data: bytes) -> bytes:
    """`data` as a gzip member, or `data` itself when that would not be smaller. The header's
    time is zero, so the same data always compresses to the same bytes."""
    packed = gzip.compress(data, compresslevel=LEVEL, mtime=0)
    return packed if len(packed) < len(data) else data


def is_compressed(data: bytes) -> bool:
    return data[:2] == GZIP_MAGIC


def decompress(data: bytes) -> bytes:
    """The payload of one gzip member; raises `CompressedRecordError` for a corrupt or truncated
    member, trailing bytes after it, or a payload above `MAX_INFLATED_BYTES`."""
    inflater = zlib.decompressobj(wbits=_GZIP_WINDOW)
    try:
        payload = inflater.decompress(data, MAX_INFLATED_BYTES)
    except zlib.error as error:
        raise CompressedRecordError(f"the gzip member does not inflate: {error}") from error
    if inflater.unconsumed_tail or (not inflater.eof and len(payload) == MAX_INFLATED_BYTES):
        raise CompressedRecordError(
            f"the gzip member inflates past {MAX_INFLATED_BYTES} bytes, the most a record holds"
        )
    if not inflater.eof:
        raise CompressedRecordError("the gzip member is truncated")
    if inflater.unused_data:
        raise CompressedRecordError(
            f"{len(inflater.unused_data)} bytes follow the gzip member; a record holds one"
        )
    return payload
