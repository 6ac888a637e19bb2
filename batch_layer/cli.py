"""`salesflow batch run [--cutoff T] [--lake URI]`: run the nightly job on demand;
`salesflow batch sync-catalog [--lake URI]`: move the Glue tables and Athena views to the
published run again, alone (after a run whose catalog sync failed, exit status 3);
`salesflow batch load-profiles [--lake URI]`: load the published run's customer profiles into
DynamoDB again, alone (after a run whose load failed, exit status 4);
`salesflow batch runs` lists the kept runs and `salesflow batch rollback RUN_ID` publishes an
earlier one again (batch_layer/runs.py).

The EMR entry point takes the same arguments, so both work there too.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from batch_layer.spark_session import DEFAULT_SHUFFLE_PARTITIONS
from contract.lake import LakeLocation
from contract.settings import Settings, settings_with
from contract.structured_logging import configure_logging

logger = logging.getLogger(__name__)

PublishedRunHook = Callable[[Settings, str | None], int]
"""A step after publication: (settings, the run this process published) -> exit status."""


def parse_cutoff(value: str) -> datetime:
    """An ISO 8601 timestamp with an offset; `now` (literally now) is accepted for an ad-hoc run."""
    if value == "now":
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO 8601 timestamp, e.g. 2026-11-22T03:00:00Z"
        ) from error
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{value!r} has no offset; say which instant you mean, e.g. {value}Z or {value}-03:00"
        )
    return moment


def default_cutoff(started_at: datetime, settings: Settings) -> datetime:
    """T for a run without `--cutoff`: the lag keeps events not yet landed in the real-time view."""
    return started_at - timedelta(seconds=settings.batch_cutoff_lag_seconds)


def add_arguments(parser: argparse.ArgumentParser, *, default_master: str = "local[*]") -> None:
    """`default_master="none"` (EMR) keeps the session the cluster configured."""
    commands = parser.add_subparsers(dest="action", required=True, metavar="action")
    run_parser = commands.add_parser(
        "run",
        help="bring gold up to T: only what arrived since the published T, unless --full",
    )
    run_parser.add_argument(
        "--full",
        action="store_true",
        help="rebuild every day from bronze, the CSV uploads and the reference data instead of "
        "only the days what arrived since the last run affects (same tables; the AWS schedule "
        "runs one weekly)",
    )
    run_parser.add_argument(
        "--cutoff",
        type=parse_cutoff,
        default=None,
        help="T: include lines ingested before it (ISO 8601 with offset, or 'now'; default: "
        "SALESFLOW_BATCH_CUTOFF_LAG_SECONDS (300) before now, so events still in the stream are "
        "not left out of both views)",
    )
    run_parser.add_argument("--lake", default=None, help="lake URI; default SALESFLOW_LAKE_URI")
    run_parser.add_argument(
        "--master", default=default_master, help="Spark master; 'none' keeps the cluster's own"
    )
    run_parser.add_argument("--shuffle-partitions", type=int, default=DEFAULT_SHUFFLE_PARTITIONS)
    run_parser.add_argument("--driver-memory", default="4g")
    sync_parser = commands.add_parser(
        "sync-catalog",
        help="move the Glue tables and Athena views to the run gold/_published.json names",
    )
    sync_parser.add_argument("--lake", default=None, help="lake URI; default SALESFLOW_LAKE_URI")
    profiles_parser = commands.add_parser(
        "load-profiles",
        help="load the customer profiles of the run gold/_published.json names into DynamoDB",
    )
    profiles_parser.add_argument(
        "--lake", default=None, help="lake URI; default SALESFLOW_LAKE_URI"
    )
    runs_parser = commands.add_parser(
        "runs", help="list the runs gold keeps, newest first; * marks the published one"
    )
    runs_parser.add_argument("--lake", default=None, help="lake URI; default SALESFLOW_LAKE_URI")
    rollback_parser = commands.add_parser(
        "rollback",
        help="publish an earlier kept run again (the pointer, then the catalog and profiles)",
    )
    rollback_parser.add_argument("run_id", metavar="RUN_ID", help="a run `batch runs` lists")
    rollback_parser.add_argument(
        "--lake", default=None, help="lake URI; default SALESFLOW_LAKE_URI"
    )


def run(args: argparse.Namespace) -> int:
    configure_logging()
    settings = settings_with(lake_uri=args.lake)
    if args.action == "sync-catalog":
        from batch_layer.catalog import sync_published_catalog

        return sync_published_catalog(settings, None)
    if args.action == "load-profiles":
        from batch_layer.profile_load import load_published_profiles

        return load_published_profiles(settings, None)
    if args.action == "runs":
        from batch_layer.runs import list_runs

        for summary in list_runs(settings):
            print(summary.describe())
        return 0
    if args.action == "rollback":
        return _roll_back(args.run_id, settings)
    return _run_job(args, settings)


def _roll_back(run_id: str, settings: Settings) -> int:
    """The pointer back to `run_id`, then what follows every publication (the catalog and the
    profile store) so Athena, the dashboard and Customer 360 serve that run too."""
    from batch_layer.runs import UnknownRunError, roll_back

    catalog_hook, profiles_hook = _catalog_hook(settings), _profiles_hook(settings)
    try:
        report = roll_back(settings, run_id)
    except UnknownRunError as error:
        print(f"not rolled back: {error}", file=sys.stderr)
        return 1
    print(f"published {report.run_id} again (T={report.cutoff.isoformat()})")
    catalog = 0 if catalog_hook is None else catalog_hook(settings, report.run_id)
    profiles = 0 if profiles_hook is None else profiles_hook(settings, report.run_id)
    return catalog or profiles


def _catalog_hook(settings: Settings) -> PublishedRunHook | None:
    """The step after publication the deployment asks for, imported now: a job environment
    without the serving layer fails before the Spark work, not after it."""
    if settings.publish_catalog == "none":
        return None
    from batch_layer.catalog import sync_published_catalog

    return sync_published_catalog


def _profiles_hook(settings: Settings) -> PublishedRunHook | None:
    """The DynamoDB profile load after publication, where the deployment has the store."""
    if settings.customer_profile_store == "none":
        return None
    from batch_layer.profile_load import load_published_profiles

    return load_published_profiles


def _run_job(args: argparse.Namespace, settings: Settings) -> int:
    from batch_layer.job import run_batch
    from batch_layer.spark_session import build_session

    catalog_hook = _catalog_hook(settings)
    profiles_hook = _profiles_hook(settings)
    spark = build_session(
        master=None if args.master == "none" else args.master,
        shuffle_partitions=args.shuffle_partitions,
        driver_memory=args.driver_memory,
        s3a=LakeLocation.parse(settings.lake_uri).scheme == "s3",
    )
    cutoff = args.cutoff or default_cutoff(datetime.now(UTC), settings)
    try:
        publication = run_batch(
            settings.lake_uri, cutoff, settings=settings, spark=spark, full=args.full
        )
    finally:
        spark.stop()
    print(publication.model_dump_json(indent=2), file=sys.stdout)
    _prune(settings)
    catalog = 0 if catalog_hook is None else catalog_hook(settings, publication.run_id)
    profiles = 0 if profiles_hook is None else profiles_hook(settings, publication.run_id)
    return catalog or profiles


def _prune(settings: Settings) -> None:
    """Remove the runs gold no longer keeps; a failure here leaves old folders, not a failed run."""
    from batch_layer.runs import prune_runs

    try:
        prune_runs(settings)
    except OSError:
        logger.exception("old runs not removed; the next run tries again")
