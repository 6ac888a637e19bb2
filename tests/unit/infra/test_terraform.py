"""Terraform itself on the tree: fmt everywhere; validate and a real plan where the provider is.

The plan runs against the moto server (only STS is called, for the account id), with a hyphenated
name prefix and a test tag, so the names and tags asserted here are Terraform's own evaluation of
the configuration, not a re-implementation of it.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from batch_layer import cli as batch_cli
from contract.names import ResourceNames
from contract.settings import Settings
from devstack.cost import Assumptions
from tests.unit.infra.terraform_cli import (
    PLUGIN_DIR,
    copy_tree,
    init,
    provider_available,
    run,
)
from tests.unit.infra.terraform_tree import TERRAFORM_DIR

pytestmark = pytest.mark.xdist_group("terraform")

needs_provider = pytest.mark.skipif(
    not provider_available(),
    reason=f"the AWS provider is not unpacked under {PLUGIN_DIR} on this machine, and providers "
    "cannot be downloaded here; fmt, checkov and the hcl2 structure tests still run",
)

PREFIX = "acme-shop"
TEST_TAGS = {"CostCenter": "retail-data"}
NAMES = ResourceNames.for_prefix(PREFIX)

ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS = {
    "ecr:GetAuthorizationToken",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "cloudwatch:PutMetricData",
}

PLAN_VARIABLES = {
    "name_prefix": PREFIX,
    "image_tag": "0.1.0",
    "vpc_id": "vpc-0123abcd",
    "public_subnet_ids": ["subnet-0a1", "subnet-0b2"],
    "private_subnet_ids": ["subnet-0c3", "subnet-0d4"],
    "allowed_cidr_blocks": ["0.0.0.0/0"],
    "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-test",
    "create_kcl_worker": True,
    "alert_emails": ["oncall@example.com"],
    "dashboard_host_name": "dashboard.acme.example",
    "dashboard_allowed_cidr_blocks": ["203.0.113.0/24"],
    "tags": TEST_TAGS,
}


def test_terraform_fmt_finds_nothing_to_change() -> None:
    result = run(["fmt", "-check", "-recursive", "-diff"], cwd=TERRAFORM_DIR)
    assert result.returncode == 0, (
        f"run `terraform fmt -recursive infra/terraform`:\n{result.stdout}"
    )


@pytest.fixture(scope="module")
def env_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not provider_available():
        pytest.skip(f"no AWS provider under {PLUGIN_DIR}")
    root = copy_tree(tmp_path_factory.mktemp("terraform"))
    initialised = init(root, _cli_config(root))
    assert initialised.returncode == 0, initialised.stderr
    return root


def _cli_config(root: Path) -> Path:
    return root.parents[3] / "terraformrc"


@needs_provider
def test_terraform_validate_accepts_the_env_root_and_every_module(env_root: Path) -> None:
    result = run(["validate", "-json"], cwd=env_root, cli_config=_cli_config(env_root))
    report = json.loads(result.stdout)
    assert report["valid"], json.dumps(report["diagnostics"], indent=2)
    assert report["warning_count"] == 0, json.dumps(report["diagnostics"], indent=2)


@pytest.fixture(scope="module")
def plan(env_root: Path, moto_endpoint: str) -> dict[str, Any]:
    (env_root / "moto_override.tf").write_text(
        f"""
provider "aws" {{
  region                      = var.region
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  endpoints {{
    sts = "{moto_endpoint}"
    iam = "{moto_endpoint}"
  }}
}}
"""
    )
    (env_root / "test.tfvars.json").write_text(json.dumps(PLAN_VARIABLES))
    config = _cli_config(env_root)
    result = run(
        ["plan", "-input=false", "-lock=false", "-var-file=test.tfvars.json", "-out=plan.bin"],
        cwd=env_root,
        cli_config=config,
    )
    assert result.returncode == 0, result.stderr
    shown = run(["show", "-json", "plan.bin"], cwd=env_root, cli_config=config)
    assert shown.returncode == 0, shown.stderr
    document: dict[str, Any] = json.loads(shown.stdout)
    return document


def _planned(
    plan: dict[str, Any], resource_type: str, mode: str = "managed"
) -> list[dict[str, Any]]:
    return [
        change
        for change in plan["resource_changes"]
        if change["type"] == resource_type and change["mode"] == mode
    ]


def _after(plan: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [change["change"]["after"] for change in _planned(plan, resource_type)]


@needs_provider
def test_planned_names_are_the_python_settings_names(plan: dict[str, Any]) -> None:
    assert [s["name"] for s in _after(plan, "aws_kinesis_stream")] == [NAMES.stream]
    assert sorted(q["name"] for q in _after(plan, "aws_sqs_queue")) == sorted(
        [
            NAMES.queue,
            NAMES.dead_letter_queue,
            NAMES.kinesis_dead_letter_queue,
            NAMES.csv_dead_letter_queue,
        ]
    )
    buckets = {b["bucket"] for b in _after(plan, "aws_s3_bucket")}
    assert {NAMES.lake_bucket, NAMES.athena_results_bucket} <= buckets
    assert [d["name"] for d in _after(plan, "aws_glue_catalog_database")] == ["acme_shop"]
    assert [d["name"] for d in _after(plan, "aws_glue_catalog_database")] == [NAMES.glue_database]
    assert [w["name"] for w in _after(plan, "aws_athena_workgroup")] == [NAMES.athena_workgroup]
    assert [s["name"] for s in _after(plan, "aws_secretsmanager_secret")] == [NAMES.api_keys_secret]
    assert sorted(t["name"] for t in _after(plan, "aws_dynamodb_table")) == sorted(
        [NAMES.kcl_lease_table, NAMES.customer_profiles_table]
    )


@needs_provider
def test_planned_glue_tables_point_into_this_deployments_lake(plan: dict[str, Any]) -> None:
    tables = {t["name"]: t for t in _after(plan, "aws_glue_catalog_table")}
    assert {"bronze_sales_events", "sales_wide", "csv_uploads", "products"} <= set(tables)
    bronze = tables["bronze_sales_events"]
    lake = f"s3://{NAMES.lake_bucket}"
    assert bronze["storage_descriptor"][0]["location"] == f"{lake}/bronze/sales_events/"
    assert bronze["parameters"]["storage.location.template"] == (
        f"{lake}/bronze/sales_events/ingest_date=${{ingest_date}}/ingest_hour=${{ingest_hour}}"
    )
    assert [k["name"] for k in bronze["partition_keys"]] == ["ingest_date", "ingest_hour"]
    assert tables["sales_wide"]["storage_descriptor"][0]["location"].startswith(f"{lake}/gold/")


@needs_provider
def test_the_environment_output_configures_settings_to_the_same_names(
    plan: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = plan["planned_values"]["outputs"]["salesflow_environment"]["value"]
    unknown = [
        key
        for key in environment
        if not key.startswith("SALESFLOW_")
        or key.removeprefix("SALESFLOW_").lower() not in Settings.model_fields
    ]
    assert unknown == []
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.name_prefix == PREFIX
    assert settings.stream_name == NAMES.stream
    assert settings.queue_name == NAMES.queue
    assert settings.dead_letter_queue_name == NAMES.dead_letter_queue
    assert settings.lake_bucket == NAMES.lake_bucket
    assert settings.lake_uri == f"s3://{NAMES.lake_bucket}"
    assert settings.athena_results_bucket == NAMES.athena_results_bucket
    assert settings.glue_database == NAMES.glue_database
    assert settings.athena_workgroup == NAMES.athena_workgroup
    assert settings.serving_engine == "duckdb"


@needs_provider
def test_outputs_carry_the_names_of_the_settings_they_feed(plan: dict[str, Any]) -> None:
    outputs = plan["planned_values"]["outputs"]
    environment = outputs["salesflow_environment"]["value"]
    setting_outputs = [name for name in outputs if f"SALESFLOW_{name.upper()}" in environment]
    assert len(setting_outputs) >= 10
    for name in setting_outputs:
        assert name in Settings.model_fields
        assert outputs[name]["value"] == environment[f"SALESFLOW_{name.upper()}"], name


@pytest.fixture(scope="module")
def taggable_types(env_root: Path) -> set[str]:
    result = run(["providers", "schema", "-json"], cwd=env_root, cli_config=_cli_config(env_root))
    assert result.returncode == 0, result.stderr
    schemas = json.loads(result.stdout)["provider_schemas"]
    aws = schemas["registry.terraform.io/hashicorp/aws"]["resource_schemas"]
    return {name for name, schema in aws.items() if "tags" in schema["block"]["attributes"]}


@needs_provider
def test_every_taggable_planned_resource_carries_the_tags_variable(
    plan: dict[str, Any], taggable_types: set[str]
) -> None:
    managed = [c for c in plan["resource_changes"] if c["mode"] == "managed"]
    taggable = [c for c in managed if c["type"] in taggable_types]
    assert len(taggable) > 50
    untagged = [
        c["address"]
        for c in taggable
        if not TEST_TAGS.items() <= (c["change"]["after"].get("tags") or {}).items()
        or (c["change"]["after"].get("tags") or {}).get("NamePrefix") != PREFIX
    ]
    assert untagged == []


def _policy_documents(plan: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every rendered aws_iam_policy_document: read during plan, or deferred to apply."""
    documents = [
        (c["address"], c["change"]["after"])
        for c in _planned(plan, "aws_iam_policy_document", mode="data")
    ]

    def walk(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from walk(child)

    documents += [
        (r["address"], r["values"])
        for r in walk(plan["prior_state"]["values"]["root_module"])
        if r["type"] == "aws_iam_policy_document"
    ]
    return documents


@needs_provider
def test_rendered_iam_policies_grant_no_wildcard_where_something_narrower_exists(
    plan: dict[str, Any],
) -> None:
    documents = _policy_documents(plan)
    assert len(documents) > 20
    offending = []
    for address, document in documents:
        key_policy = address == "module.kms.data.aws_iam_policy_document.key"
        for statement in document["statement"]:
            actions = set(statement["actions"] or [])
            allow = statement["effect"] in (None, "Allow")
            if "*" in actions:
                offending.append((address, statement["sid"], "Action *"))
            if allow and not key_policy and any(a.endswith(":*") for a in actions):
                offending.append((address, statement["sid"], "service:*"))
            resources = statement["resources"] or []
            if (
                allow
                and not key_policy
                and "*" in resources
                and not actions <= ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS
            ):
                offending.append((address, statement["sid"], f"{sorted(actions)} on *"))
    assert offending == []


@needs_provider
def test_every_planned_role_has_its_own_inline_policy(plan: dict[str, Any]) -> None:
    def module_of(change: dict[str, Any]) -> str:
        return str(change.get("module_address", ""))

    roles = _planned(plan, "aws_iam_role")
    policies = _planned(plan, "aws_iam_role_policy")
    assert len(roles) >= 10
    assert _planned(plan, "aws_iam_role_policy_attachment") == []
    assert sorted(module_of(role) for role in roles) == sorted(module_of(p) for p in policies)
    assert len({role["change"]["after"]["name"] for role in roles}) == len(roles)


@needs_provider
def test_every_alarm_the_issue_names_is_planned_and_priced(plan: dict[str, Any]) -> None:
    names = {
        a["alarm_name"].removeprefix(f"{PREFIX}-")
        for a in _after(plan, "aws_cloudwatch_metric_alarm")
    }
    assert {
        "stream-iterator-age",
        "dead-letter-queue-depth",
        "api-5xx",
        "api-latency-p99",
        "batch-job-failed",
        "gold-freshness",
        "speed-freshness",
        "kinesis-dead-letter-queue-depth",
        "csv-dead-letter-queue-depth",
        "sqs-backlog-age",
        "scheduler-target-errors",
        "scheduler-dropped-invocations",
        "serving-5xx",
        "serving-unhealthy",
    } <= names
    assert len([n for n in names if n.startswith("lambda-errors-")]) == 3
    assert len(names) == Assumptions().alarms
    topics = [t["name"] for t in _after(plan, "aws_sns_topic")]
    assert topics == [f"{PREFIX}-alerts"]


@needs_provider
def test_the_nightly_job_driver_is_one_the_batch_entry_point_accepts(
    plan: dict[str, Any],
) -> None:
    spark = plan["planned_values"]["outputs"]["batch_job_driver"]["value"]["sparkSubmit"]
    assert spark["entryPoint"].endswith("/batch/0.1.0/entrypoint.py")
    assert "pyspark_env.tar.gz#environment" in spark["sparkSubmitParameters"]
    parser = argparse.ArgumentParser()
    batch_cli.add_arguments(parser, default_master="none")
    arguments = [*spark["entryPointArguments"], "--cutoff", "2026-11-22T05:30:00Z"]
    args = parser.parse_args(arguments)
    assert args.action == "run"
    assert args.cutoff == datetime(2026, 11, 22, 5, 30, tzinfo=UTC)
    assert args.lake is None, "the lake comes from SALESFLOW_LAKE_URI, like every other setting"
    assert args.master == "none"


@needs_provider
def test_the_nightly_job_runs_with_the_environment_output_as_its_settings(
    plan: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = plan["planned_values"]["outputs"]
    environment = outputs["salesflow_environment"]["value"]
    parameters = outputs["batch_job_driver"]["value"]["sparkSubmit"]["sparkSubmitParameters"]
    driver = dict(
        re.findall(r"--conf spark\.emr-serverless\.driverEnv\.(SALESFLOW_\w+)=(\S+)", parameters)
    )
    assert driver == environment
    for key, value in driver.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.lake_uri == f"s3://{NAMES.lake_bucket}"
    assert settings.glue_database == NAMES.glue_database
    assert settings.athena_workgroup == NAMES.athena_workgroup
    assert settings.publish_catalog == "athena"
    assert settings.batch_cutoff_lag_seconds == 300


@needs_provider
def test_with_the_kcl_worker_on_the_lambda_no_longer_consumes_the_stream(
    plan: dict[str, Any],
) -> None:
    mappings = _planned(plan, "aws_lambda_event_source_mapping")
    assert [m["address"] for m in mappings] == ["module.speed.aws_lambda_event_source_mapping.sqs"]
    services = sorted(s["name"] for s in _after(plan, "aws_ecs_service"))
    assert services == [f"{PREFIX}-ingest-api", f"{PREFIX}-kcl-worker", f"{PREFIX}-serving"]


UNEXPOSED_PATHS = ("/metrics", "/readyz", "/docs", "/docs/oauth2-redirect", "/openapi.json")
"""Routes for the VPC only: the listener must answer them itself, whatever the host."""


def _matches(pattern: str, path: str) -> bool:
    return pattern == path or (pattern.endswith("/*") and path.startswith(pattern[:-1]))


@needs_provider
def test_the_listener_answers_the_operational_routes_404_before_any_forward(
    plan: dict[str, Any],
) -> None:
    rules = _after(plan, "aws_lb_listener_rule")
    blocking: dict[str, int] = {}
    forwarding: list[int] = []
    for rule in rules:
        (action, *more) = sorted(rule["action"], key=lambda action: action.get("order") or 0)
        if action["type"] == "fixed-response":
            assert action["fixed_response"][0]["status_code"] == "404"
            assert not [c for c in rule["condition"] if c["host_header"] or c["source_ip"]]
            for condition in rule["condition"]:
                for pattern in condition["path_pattern"][0]["values"]:
                    blocking[pattern] = rule["priority"]
        if any(a["type"] == "forward" for a in (action, *more)):
            forwarding.append(rule["priority"])
    for path in UNEXPOSED_PATHS:
        assert any(_matches(pattern, path) for pattern in blocking), f"{path} is forwarded"
    assert forwarding, "the dashboard's forward rule is planned"
    assert max(blocking.values()) < min(forwarding)


@needs_provider
def test_every_service_the_key_admits_is_held_to_this_account(plan: dict[str, Any]) -> None:
    (key,) = _after(plan, "aws_kms_key")
    statements = json.loads(key["policy"])["Statement"]
    (root,) = [s for s in statements if "AWS" in s["Principal"]]
    account = root["Principal"]["AWS"].split(":")[4]
    services = [s for s in statements if "Service" in s["Principal"]]
    assert len(services) >= 3
    for statement in services:
        sources = [
            values["aws:SourceAccount"]
            for test, values in statement["Condition"].items()
            if test.startswith("StringEquals") and "aws:SourceAccount" in values
        ]
        assert sources == [account], statement["Sid"]


LOGIN_VARIABLES = PLAN_VARIABLES | {
    "dashboard_login": {
        "oidc": {
            "issuer": "https://login.acme.example",
            "authorization_endpoint": "https://login.acme.example/authorize",
            "token_endpoint": "https://login.acme.example/oauth/token",
            "user_info_endpoint": "https://login.acme.example/userinfo",
            "client_id": "salesflow-dashboard",
        },
        "session_timeout_seconds": 28800,
    },
    "dashboard_oidc_client_secret": "not-a-real-secret",
}


@pytest.fixture(scope="module")
def login_plan(env_root: Path, plan: dict[str, Any]) -> dict[str, Any]:
    """The same root with a dashboard login (after `plan`, whose provider override it reuses)."""
    (env_root / "login.tfvars.json").write_text(json.dumps(LOGIN_VARIABLES))
    config = _cli_config(env_root)
    result = run(
        ["plan", "-input=false", "-lock=false", "-var-file=login.tfvars.json", "-out=login.bin"],
        cwd=env_root,
        cli_config=config,
    )
    assert result.returncode == 0, result.stderr
    shown = run(["show", "-json", "login.bin"], cwd=env_root, cli_config=config)
    assert shown.returncode == 0, shown.stderr
    document: dict[str, Any] = json.loads(shown.stdout)
    return document


def _dashboard_rule(plan: dict[str, Any]) -> dict[str, Any]:
    (rule,) = [
        r
        for r in _after(plan, "aws_lb_listener_rule")
        if any(c["host_header"] for c in r["condition"])
    ]
    return rule


@needs_provider
def test_without_a_login_the_dashboard_rule_only_forwards(plan: dict[str, Any]) -> None:
    assert [a["type"] for a in _dashboard_rule(plan)["action"]] == ["forward"]
    assert not [
        r
        for r in _after(plan, "aws_vpc_security_group_egress_rule")
        if "identity" in r["description"]
    ]


@needs_provider
def test_a_dashboard_login_authenticates_before_anything_is_forwarded(
    login_plan: dict[str, Any],
) -> None:
    actions = sorted(_dashboard_rule(login_plan)["action"], key=lambda action: action["order"])
    assert [a["type"] for a in actions] == ["authenticate-oidc", "forward"]
    oidc = actions[0]["authenticate_oidc"][0]
    assert oidc["on_unauthenticated_request"] == "authenticate"
    assert oidc["issuer"] == "https://login.acme.example"
    assert oidc["session_timeout"] == 28800
    (egress,) = [
        r
        for r in _after(login_plan, "aws_vpc_security_group_egress_rule")
        if "identity provider" in r["description"]
    ]
    assert (egress["from_port"], egress["to_port"]) == (443, 443)
