from __future__ import annotations

import argparse
from datetime import UTC, datetime

import pytest

from batch_layer.cli import add_arguments, default_cutoff, parse_cutoff


def test_cutoff_needs_an_offset():
    assert parse_cutoff("2026-11-22T03:00:00Z") == datetime(2026, 11, 22, 3, tzinfo=UTC)
    with pytest.raises(argparse.ArgumentTypeError, match="has no offset"):
        parse_cutoff("2026-11-22T03:00:00")
    with pytest.raises(argparse.ArgumentTypeError, match="not an ISO 8601 timestamp"):
        parse_cutoff("yesterday")


def test_run_arguments_default_to_a_lagged_cutoff_and_the_local_master():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["run"])
    assert args.master == "local[*]"
    assert args.cutoff is None, "no --cutoff: run() derives T from the configured lag"
    literal_now = parser.parse_args(["run", "--cutoff", "now"]).cutoff
    assert abs((datetime.now(UTC) - literal_now).total_seconds()) < 60
    emr = argparse.ArgumentParser()
    add_arguments(emr, default_master="none")
    assert emr.parse_args(["run", "--lake", "s3://b/p"]).master == "none"


def test_default_cutoff_lags_the_start_by_the_configured_lag():
    from contract.settings import Settings

    started = datetime(2026, 11, 22, 3, tzinfo=UTC)
    assert default_cutoff(started, Settings(batch_cutoff_lag_seconds=600)) == datetime(
        2026, 11, 22, 2, 50, tzinfo=UTC
    )


def test_sync_catalog_runs_alone_on_the_configured_or_given_lake():
    parser = argparse.ArgumentParser()
    add_arguments(parser, default_master="none")
    args = parser.parse_args(["sync-catalog", "--lake", "s3://lake-bucket"])
    assert (args.action, args.lake) == ("sync-catalog", "s3://lake-bucket")
    assert parser.parse_args(["sync-catalog"]).lake is None


def test_the_job_syncs_the_catalog_only_where_the_deployment_has_athena():
    from batch_layer.catalog import sync_published_catalog
    from batch_layer.cli import _catalog_hook
    from contract.settings import Settings

    assert _catalog_hook(Settings()) is None
    assert _catalog_hook(Settings(publish_catalog="athena")) is sync_published_catalog
