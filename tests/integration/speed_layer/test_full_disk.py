"""The disk under the lake and the consumer's state fills up while events arrive, then space comes
back: nothing lands half-written, nothing is checkpointed past what landed, no staging file is
left taking space, and every event lands once when the disk has room again.

The disk is a small tmpfs mounted for the test (the machine's own disk cannot be filled safely).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contract.settings import Settings
from speed_layer.checkpoints import CheckpointFile
from tests.integration.speed_layer.stack import (
    create_resources,
    dead_letter_count,
    eventually,
    lake_event_ids,
    put_kinesis,
    send_sqs,
)
from tests.unit.speed_layer.wire_events import wire_records

DISK_BYTES = 8 * 1024 * 1024
FULL_SECONDS = 4.0
"""Long enough for several landing attempts (one a second) to fail."""


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a small tmpfs needs root (CI runs as root): {mounted.stderr}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def fill(disk: Path) -> Path:
    """A ballast file taking every free byte of `disk`."""
    ballast = disk / "ballast"
    ballast.write_bytes(b"\0" * shutil.disk_usage(disk).free)
    assert shutil.disk_usage(disk).free == 0
    return ballast


def staging_files(disk: Path) -> list[Path]:
    """The hidden files landing writes before renaming them into place.

    While the disk is full, an attempt in flight holds one for a moment before it fails and
    removes it; a leaked one stays, which is what the checks look for.
    """
    return [path for path in disk.rglob(".*.tmp")]


@pytest.mark.parametrize("source", ["kinesis", "sqs"])
def test_a_full_disk_delays_landing_and_loses_nothing(
    moto_settings: Settings,
    small_disk: Path,
    make_event: Callable[..., dict[str, Any]],
    poller: Callable[..., Any],
    source: str,
) -> None:
    settings = moto_settings.model_copy(
        update={
            "state_dir": small_disk / "state",
            "lake_uri": str(small_disk / "lake"),
            "speed_batch_size": 25,
            "speed_batching_window_seconds": 0.2,
            "speed_max_attempts": 50,
        }
    )
    create_resources(settings, shards=2, visibility_timeout=2)
    send = put_kinesis if source == "kinesis" else send_sqs
    before, during = wire_records(make_event, 30), wire_records(make_event, 60)
    expected = Counter(json.loads(record)["event_id"] for record in before + during)

    with poller(settings, source, settings.lake_uri):
        send(settings, before)
        eventually(lambda: len(lake_event_ids(settings, settings.lake_uri)) == 30, what="landing")
        ballast = fill(small_disk)
        send(settings, during)
        time.sleep(FULL_SECONDS)
        assert len(lake_event_ids(settings, settings.lake_uri)) == 30
        eventually(
            lambda: staging_files(small_disk) == [],
            timeout=FULL_SECONDS,
            what="no staging file left between failed landing attempts",
        )
        ballast.unlink()
        eventually(
            lambda: Counter(lake_event_ids(settings, settings.lake_uri)) == expected,
            what="every event once, after space came back",
        )

    assert staging_files(small_disk) == []
    assert dead_letter_count(settings, settings.kinesis_dead_letter_queue_name) == 0
    assert dead_letter_count(settings, settings.dead_letter_queue_name) == 0
    if source == "kinesis":
        with CheckpointFile.for_stream(settings.state_dir, settings.stream_name) as checkpoints:
            assert all(checkpoints.get(f"shardId-{n:012d}").landed for n in range(2))
