from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from batch_layer.cli import add_arguments, parse_cutoff


def test_cutoff_needs_an_offset():
    assert parse_cutoff("2026-11-22T03:00:00Z") == datetime(2026, 11, 22, 3, tzinfo=UTC)
    with pytest.raises(argparse.ArgumentTypeError, match="has no offset"):
        parse_cutoff("2026-11-22T03:00:00")
    with pytest.raises(argparse.ArgumentTypeError, match="not an ISO 8601 timestamp"):
        parse_cutoff("yesterday")


def test_run_arguments_default_to_now_and_the_local_master():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["run"])
    assert args.master == "local[*]"
    assert (datetime.now(UTC) - args.cutoff).total_seconds() < 60
    emr = argparse.ArgumentParser()
    add_arguments(emr, default_master="none")
    assert emr.parse_args(["run", "--lake", "s3://b/p"]).master == "none"
