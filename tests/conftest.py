"""Fixtures every tier shares: a real moto server, per-test AWS names, sample events."""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from contract.settings import Settings
from devstack.java import find_java
from devstack.local_servers import FAKE_CREDENTIALS, moto_server

EVENTS_DIR = Path(__file__).parent / "events"

hypothesis_settings.register_profile("mutation", deadline=None, derandomize=True)
"""`make mutation` runs the tests under tracing, on a busy machine, once per mutant: no deadline
(a slow example is no failure there), and the same examples every time, so that a mutant's verdict
never depends on the draw (pyproject.toml, `[tool.mutmut]`)."""

os.environ.update(FAKE_CREDENTIALS)
for _leaked in [key for key in os.environ if key.startswith("SALESFLOW_")]:
    del os.environ[_leaked]
if "JAVA_HOME" not in os.environ:
    # A supported Java Spark would not find by itself (Homebrew's keg-only openjdk@17, or `java`
    # on PATH a version Spark 3.5 does not run on): Spark in the tests and their children use it.
    _java_home = find_java().java_home_for_children()
    if _java_home is not None:
        os.environ["JAVA_HOME"] = str(_java_home)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The worker's one local Spark session, small enough for a shared 2-core machine; every
    Spark test (batch, e2e) shares it, and pyspark is imported only when one asks for it."""
    from batch_layer.spark_session import build_session

    session = build_session(master="local[2]", shuffle_partitions=2, driver_memory="1g")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """One moto server process per test session (per xdist worker), over real HTTP."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def name_prefix() -> str:
    """A fresh name prefix: every stream, queue, bucket and table name of the test is unique."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def moto_settings(moto_endpoint: str, name_prefix: str, tmp_path: Path) -> Settings:
    """Settings pointing every AWS client at the moto server, with names of this test only."""
    return Settings(
        aws_endpoint_url=moto_endpoint,
        name_prefix=name_prefix,
        state_dir=tmp_path / "state",
        lake_uri=str(tmp_path / "lake"),
    )


def load_event(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return payload


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    """Build a sample event payload from `tests/events/<kind>.json` with a fresh event_id.

    Keyword arguments override top-level fields; pass `kind="return"` for the return sample.
    """

    def factory(kind: str = "sale", **overrides: Any) -> dict[str, Any]:
        payload = copy.deepcopy(load_event(kind))
        payload["event_id"] = f"EV{uuid.uuid4().hex.upper()}"
        payload.update(overrides)
        return payload

    return factory
