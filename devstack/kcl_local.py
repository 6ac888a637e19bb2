"""What the KCL consumer needs on one machine: the set-up's daemon jars, a Java runtime, and the
HTTP/2 bridge in front of the emulator's Kinesis (docs/adr/0019)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack import jars
from devstack.errors import DevstackError
from devstack.h2c_bridge import h2c_bridge
from devstack.java import find_java
from speed_layer.kcl_daemon import LocalEndpoints

KCL_BUNDLE = "kcl"


@dataclass(frozen=True)
class LocalKcl:
    java: Path
    jars: Path
    endpoints: LocalEndpoints


def java_binary() -> Path:
    best = find_java().best
    if best is None:
        raise DevstackError(
            "the KCL MultiLangDaemon needs Java 17 or newer: run `make setup` (it installs one), "
            "or `salesflow doctor` to see what this machine has"
        )
    return best.home / "bin" / "java"


@contextmanager
def local_kcl(kinesis_endpoint: str, dynamodb_endpoint: str) -> Iterator[LocalKcl]:
    """The daemon's parts, with the bridge serving while the block runs; MissingBundleError (a
    DevstackError) names the fetch command when the set-up has not fetched the jars."""
    bundle = jars.bundle_dir(KCL_BUNDLE)
    java = java_binary()
    with h2c_bridge(kinesis_endpoint) as bridge:
        yield LocalKcl(java, bundle, LocalEndpoints(kinesis=bridge, dynamodb=dynamodb_endpoint))
