"""One source for the settings that shape what users see: the root's `salesflow_environment`.

The nightly job writes gold and then installs the Athena views (serving.catalog_sync); a serving
task installs the same views whenever it sees a new run. If the two ran with different reporting
zones, lakes or databases, they would overwrite each other's views and gold's calendar would not
match the real-time side's. So both must get every such setting from the one map, unchanged.
Read with python-hcl2: what each side receives is traced from the root map through the module
calls to the job's driver environment and the serving container's environment.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import pytest

from batch_layer import cli as batch_cli
from contract.settings import Settings
from tests.unit.infra.terraform_tree import ENV_DIR, MODULES_DIR, REPO_ROOT, blocks, parse

SHAPES_OUTPUT = {
    "name_prefix": "every resource name both sides derive when not given one",
    "aws_region": "where the lake, the Glue database and the workgroup are",
    "reporting_tz": "gold's calendar columns and the real-time view's days and hours",
    "business_day": "whose calendar gold's and the real-time view's sale_date follows",
    "lake_uri": "where the job reads and writes, and the lake root the views' tables point into",
    "lake_bucket": "the lake bucket the names derive from",
    "glue_database": "the database whose tables and views both sides move to each run",
    "athena_workgroup": "the workgroup both sides re-create the views in",
    "athena_results_bucket": "where the view statements' results go",
    "batch_cutoff_lag_seconds": "T of a scheduled run, the boundary the views carry",
    "publish_catalog": "whether the job moves the catalog to its run at all",
    "customer_profile_store": "whether the job loads profiles into DynamoDB and the API reads them",
    "customer_profiles_table": "the DynamoDB table the job loads and the API reads",
    "realtime_dedup_days": "which gold days the real-time view's anti-join looks up",
}
"""Settings that decide what gold and the views contain, and where. The quality limits and item
caps are not settings: they are `contract` constants, compiled into both sides alike."""

SHAPES_NOTHING = {
    "log_sample_rate": "how many refused requests are logged, not what is stored or served",
    "state_dir": "a local state folder; AWS components keep none",
    "endpoint_url": "emulator endpoints, unset in AWS (the method reading the *_endpoint_url)",
    "serve_host": "where a serving task listens",
    "serve_port": "where a serving task listens",
    "allowed_hosts": "which Host names a serving task answers: who may reach it, not what it says",
    "proxied_internal_routes": "whether a serving task answers its internal routes to forwarded "
    "requests: who may reach them, not what they say",
    "serving_engine": "which engine answers the API; the job has none",
    "serving_database": "where a DuckDB serving task keeps its working tables, not what they hold",
    "serving_memory_limit": "how much a DuckDB serving task caches in memory",
    "serving_cache_seconds": "how long API answers are reused",
    "serving_refresh_seconds": "how often a serving task looks for new files and runs",
    "serving_query_timeout_seconds": "how long one Athena statement may run: patience, not content",
    "serving_max_range_days": "the longest range one API request may ask for",
    "query_attributes": "which stored custom attributes the API offers as dimensions",
    "display_locale": "how the dashboard formats numbers, money and dates",
    "csv_lambda_max_bytes": "whether the CSV Lambda or the nightly job loads an export, alike",
    "csv_landing_prefix": "read by the CSV Lambda alone, to find a landed export's mapping",
    "csv_dead_letter_queue_name": "where `salesflow load-csv --dead-letters` finds failed loads",
    "gold_runs_kept": "how many older runs the job keeps for rollback; the served one always",
    "batch_full_every_days": "whether a run rebuilds every day or only the affected ones: the "
    "same tables either way",
    "reconciliation_grace_hours": "when an unmatched store-day counts as overdue (metric, alarm)",
    "reconciliation_check_seconds": "how often a serving process re-checks the tills' reports",
    "reconciliation_lookback_days": "how many business days the periodic check covers",
}
"""Settings read in `batch_layer/` or `serving/` that change nothing in gold or the views."""

DERIVED = {
    "reporting_zone": "reporting_tz",
    "calendar": "business_day",
    "trusted_hosts": "allowed_hosts",
}
"""Properties and methods of Settings, by the field they are computed from."""

DRIVER_ENVIRONMENT_LOOP = (
    "[for name in sort(keys(var.environment)) : "
    '"--conf spark.emr-serverless.driverEnv.${name}=${var.environment[name]}"]'
)


def _locals(file: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in parse(file).get("locals", []):
        merged.update(block)
    return merged


def _module_call(directory: Path, name: str) -> dict[str, Any]:
    (call,) = [m.body for m in blocks("module") if m.file.parent == directory and m.name == name]
    return call


def root_environment() -> dict[str, str]:
    environment: dict[str, str] = _locals(ENV_DIR / "main.tf")["salesflow_environment"]
    return environment


def batch_job_environment() -> dict[str, str]:
    """SALESFLOW_* variables of the nightly job's driver, as expressions of the env root."""
    assert _module_call(ENV_DIR, "batch")["environment"] == "${local.salesflow_environment}"
    batch = _locals(MODULES_DIR / "batch" / "main.tf")
    parameters = batch["spark_submit_parameters"]
    assert DRIVER_ENVIRONMENT_LOOP in parameters, (
        "the job's driver must get every entry of var.environment as a driverEnv parameter"
    )
    typed_in = re.findall(r"driverEnv\.(SALESFLOW_\w+)=", parameters)
    assert typed_in == [], f"{typed_in} bypass salesflow_environment: set them in the env root"
    spark = batch["job_driver"]["sparkSubmit"]
    assert spark["sparkSubmitParameters"] == "${local.spark_submit_parameters}"
    (nightly,) = [
        r for r in blocks("resource") if (r.type, r.name) == ("aws_scheduler_schedule", "nightly")
    ]
    scheduled = nightly.body["target"][0]["input"]
    for field in ("EntryPoint", "EntryPointArguments", "SparkSubmitParameters"):
        member = field[0].lower() + field[1:]
        assert f"{field} = local.job_driver.sparkSubmit.{member}" in scheduled, field
    return root_environment()


def serving_environment() -> dict[str, str]:
    """SALESFLOW_* variables of the serving container, as expressions of the env root."""
    assert _module_call(ENV_DIR, "serving")["environment"] == "${local.salesflow_environment}"
    serving_dir = MODULES_DIR / "serving"
    merged = _locals(serving_dir / "main.tf")["environment"]
    found = re.fullmatch(r"\$\{merge\(var\.environment, \{(.*)\}\)\}", merged, re.DOTALL)
    assert found, f"the serving module's environment is not var.environment plus its own: {merged}"
    own = dict(re.findall(r"(SALESFLOW_\w+) = ([^,]+)", found[1]))
    assert _module_call(serving_dir, "service")["environment"] == "${local.environment}"
    return root_environment() | {name: f"serving module: {value}" for name, value in own.items()}


def _variable(setting: str) -> str:
    return f"SALESFLOW_{setting.upper()}"


@pytest.mark.parametrize("setting", sorted(SHAPES_OUTPUT))
def test_the_job_and_the_serving_tasks_get_the_same_value_from_the_one_map(setting: str) -> None:
    variable = _variable(setting)
    job, serving = batch_job_environment(), serving_environment()
    assert variable in root_environment(), f"{variable} is missing from salesflow_environment"
    assert variable in job, f"the nightly job does not get {variable}"
    assert variable in serving, f"the serving tasks do not get {variable}"
    assert job[variable] == serving[variable], (variable, job[variable], serving[variable])


def test_the_job_takes_the_lake_from_the_map_not_from_its_arguments() -> None:
    spark = _locals(MODULES_DIR / "batch" / "main.tf")["job_driver"]["sparkSubmit"]
    parser = argparse.ArgumentParser()
    batch_cli.add_arguments(parser, default_master="none")
    arguments = parser.parse_args(spark["entryPointArguments"])
    assert arguments.action == "run"
    assert arguments.lake is None
    assert arguments.cutoff is None


def test_every_setting_the_job_or_the_serving_layer_reads_is_classified() -> None:
    """A new setting read by either side fails here until it is put in one of the two lists."""
    read = set()
    for package in ("batch_layer", "serving"):
        for source in (REPO_ROOT / package).rglob("*.py"):
            read.update(re.findall(r"\b_?settings\.([a-z_]+)\b", source.read_text()))
    read = {DERIVED.get(name, name) for name in read}
    assert "reporting_tz" in read
    unclassified = sorted(read - SHAPES_OUTPUT.keys() - SHAPES_NOTHING.keys())
    assert unclassified == []
    known = set(Settings.model_fields) | {"endpoint_url"}
    assert SHAPES_OUTPUT.keys() | SHAPES_NOTHING.keys() <= known
