"""The runs gold keeps, the one it serves, and going back to an earlier one.

Every nightly run writes its own folder, `gold/runs/<run_id>/`, and its report, `_run.json`,
before the pointer `gold/_published.json` names it (ADR 0002). So an earlier run stays whole until
it is removed, and serving it again is one pointer write:

- `salesflow batch runs` lists the kept runs, newest first, with their cutoff T and counts, and
  marks the published one; a folder without a report is a run that stopped before publishing.
- `salesflow batch rollback RUN_ID` writes that run's report as the pointer (one atomic write, as
  a publication), then the command moves the Glue tables and Athena views and reloads the profile
  store, as after a nightly run. The served T becomes that run's cutoff: the real-time view then
  carries every event after it, so nothing is lost or counted twice. The next nightly run
  publishes a new run as usual (pause its schedule first to stay on the earlier run).
- After each publication the job keeps the published run and the `SALESFLOW_GOLD_RUNS_KEPT`
  newest complete runs, removes the other complete ones, and removes unpublished folders older
  than a day (a run still writing is younger). The served run is never removed, whatever its age:
  no lifecycle rule expires run folders, because S3 cannot tell which one is served. A kept
  state reads unchanged days from the folders of the runs that wrote them and its silver from
  the runs it lists (ADR 0018): those folders stay as long as a kept state names them, so an old
  state stays readable (and a rollback target) until it leaves the kept ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from batch_layer import gold_state
from batch_layer.errors import BatchLayerError
from batch_layer.publish import RUN_REPORT
from contract.gold import QUALITY_QUARANTINE, SALES_WIDE
from contract.lake import GOLD_RUNS, PUBLISHED_POINTER, SILVER_RUNS, gold_run, silver_run
from contract.lake_io import LakeFiles
from contract.publication import Publication, read_publication
from contract.settings import Settings

logger = logging.getLogger(__name__)

UNPUBLISHED_GRACE = timedelta(days=1)
"""How old a folder without a report must be before it counts as abandoned, not in progress."""


class UnknownRunError(BatchLayerError):
    """The run asked for is not a complete run gold keeps."""


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    report: Publication | None
    """None for a folder whose run stopped before publishing (or is still writing)."""
    published: bool

    def describe(self) -> str:
        if self.report is None:
            return f"  {self.run_id}  incomplete (no report: stopped before publishing)"
        report = self.report
        marker = "*" if self.published else " "
        return (
            f"{marker} {self.run_id}  T={report.cutoff:%Y-%m-%dT%H:%M:%SZ}  "
            f"published {report.published_at:%Y-%m-%dT%H:%M:%SZ}  "
            f"lines {report.input_counts.get('lines', 0)}  "
            f"sales_wide {report.output_counts.get(SALES_WIDE, 0)}  "
            f"quarantined {report.output_counts.get(QUALITY_QUARANTINE, 0)}  "
            f"duplicates {report.duplicates}"
        )


def list_runs(settings: Settings) -> list[RunSummary]:
    """Every run folder gold keeps, newest first (run ids start with their T and start time)."""
    files = LakeFiles.open(settings.lake_uri, settings)
    published = read_publication(files)
    run_ids = sorted(
        {
            path.removeprefix(f"{GOLD_RUNS}/").split("/", 1)[0]
            for path in files.list_files(GOLD_RUNS)
        },
        reverse=True,
    )
    summaries = []
    for run_id in run_ids:
        document = files.read_bytes(f"{gold_run(run_id)}/{RUN_REPORT}")
        report = None if document is None else Publication.model_validate_json(document)
        summaries.append(
            RunSummary(run_id, report, published is not None and published.run_id == run_id)
        )
    return summaries


def roll_back(settings: Settings, run_id: str) -> Publication:
    """Make `run_id` the published run again; returns its report, now the pointer."""
    files = LakeFiles.open(settings.lake_uri, settings)
    document = files.read_bytes(f"{gold_run(run_id)}/{RUN_REPORT}")
    if document is None:
        kept = ", ".join(r.run_id for r in list_runs(settings) if r.report is not None)
        raise UnknownRunError(f"no complete run {run_id!r} in the lake; kept: {kept or 'none'}")
    report = Publication.model_validate_json(document)
    files.write_bytes(PUBLISHED_POINTER, document)
    logger.warning(
        "publication rolled back",
        extra={"run_id": run_id, "cutoff": report.cutoff.isoformat()},
    )
    return report


def prune_runs(settings: Settings, *, now: datetime | None = None) -> list[str]:
    """Remove the run folders gold no longer keeps (see the module's docstring); their ids."""
    now = now or datetime.now(UTC)
    runs = list_runs(settings)
    complete = [run for run in runs if run.report is not None]
    kept = {run.run_id for run in complete[: settings.gold_runs_kept]}
    kept |= {run.run_id for run in runs if run.published}
    referenced = set(kept)
    for run in runs:
        if run.run_id in kept and run.report is not None:
            referenced |= gold_state.referenced_runs(run.report.sales_wide_days)
            referenced |= set(run.report.silver_runs)
    files = LakeFiles.open(settings.lake_uri, settings)
    removed = []
    for run in runs:
        if run.run_id in referenced or (run.report is None and not _abandoned(run.run_id, now)):
            continue
        files.delete_folder(gold_run(run.run_id))
        removed.append(run.run_id)
    for folder in files.list_folders(SILVER_RUNS):
        run_id = folder.rsplit("/", 1)[-1]
        if run_id not in referenced and _abandoned(run_id, now):
            files.delete_folder(silver_run(run_id))
    if removed:
        logger.info("old runs removed", extra={"runs": removed, "kept": sorted(referenced)})
    return removed


def _abandoned(run_id: str, now: datetime) -> bool:
    """Whether a folder without a report started more than a day ago (`<T>-<start>-<random>`);
    an id that does not parse is left alone."""
    try:
        started = datetime.strptime(run_id.split("-")[1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except (IndexError, ValueError):
        return False
    return now - started > UNPUBLISHED_GRACE
