"""Structural rules of the Terraform tree, read with python-hcl2 (no provider, no network)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import re
from typing import Any

import pytest

from contract.lake import (
    CSV_LOADS,
    CSV_PENDING,
    CSV_STAGING,
    CSV_UPLOADS,
    QUARANTINE,
    RECONCILIATION_REPORTS,
    REFERENCE,
)
from contract.settings import Settings
from salesflow.cli import COMMANDS
from tests.unit.infra.terraform_tree import (
    ENV_DIR,
    REPO_ROOT,
    TERRAFORM_DIR,
    Block,
    blocks,
    module_dirs,
    parse,
    policy_documents,
    resources,
    terraform_dirs,
    tf_files,
)

ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS = {
    "ecr:GetAuthorizationToken",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "cloudwatch:PutMetricData",
}
"""The only actions an Allow statement may grant on Resource "*": AWS offers nothing narrower."""

KEY_POLICY = ("kms", "key")
"""A KMS key policy's Resource "*" means the key itself, so it is exempt from the rule above."""


def _statements(document: Block) -> list[dict[str, Any]]:
    """The document's statements, those a `dynamic "statement"` block writes included."""
    statements = document.body.get("statement", [])
    found = list(statements) if isinstance(statements, list) else [statements]
    for dynamic in document.body.get("dynamic", []):
        if "statement" in dynamic:
            found += dynamic["statement"]["content"]
    return found


def _is_allow(statement: dict[str, Any]) -> bool:
    return bool(statement.get("effect", "Allow") == "Allow")


def _module_of(block: Block) -> str:
    return block.file.parent.name


def test_the_tree_has_every_module_the_issue_asks_for() -> None:
    expected = {
        "stream",
        "lake",
        "catalog",
        "ingest",
        "speed",
        "landing",
        "batch",
        "observability",
        "serving",
    }
    assert expected <= {path.name for path in module_dirs()}


@pytest.mark.parametrize("directory", terraform_dirs(), ids=lambda path: path.name)
def test_every_module_has_the_standard_files(directory) -> None:
    present = {path.name for path in directory.glob("*.tf")}
    assert {"main.tf", "variables.tf", "outputs.tf", "versions.tf"} <= present


def test_every_variable_is_typed_and_described() -> None:
    variables = list(blocks("variable"))
    assert len(variables) > 50
    untyped = [v.where for v in variables if "type" not in v.body]
    undescribed = [v.where for v in variables if len(str(v.body.get("description", ""))) < 10]
    assert untyped == []
    assert undescribed == []


def test_every_variable_is_used_where_it_is_declared() -> None:
    unused = []
    for variable in blocks("variable"):
        module_text = "".join(tf.read_text() for tf in variable.file.parent.glob("*.tf"))
        if f"var.{variable.name}" not in module_text:
            unused.append(variable.where)
    assert unused == []


def test_every_output_is_described() -> None:
    undescribed = [o.where for o in blocks("output") if not o.body.get("description")]
    assert undescribed == []


def _env_root_modules() -> list[Block]:
    return [m for m in blocks("module") if m.file.parent == ENV_DIR]


def _shared_module_calls(source: str) -> list[Block]:
    """Calls of the shared module `source` (ecs_service, lambda_function, iam_role) in modules."""
    return [m for m in blocks("module") if m.body["source"] == f"../{source}"]


def test_every_tagged_resource_and_shared_module_call_takes_its_tags_from_var_tags() -> None:
    tagged = [r for r in resources() if "tags" in r.body]
    tagged += [m for m in blocks("module") if m.file.parent != ENV_DIR]
    assert len(tagged) > 40
    elsewhere = [b.where for b in tagged if "var.tags" not in str(b.body.get("tags"))]
    assert elsewhere == []


def test_the_env_root_merges_one_tags_variable_into_every_module() -> None:
    modules = _env_root_modules()
    assert modules
    untagged = [m.where for m in modules if m.body.get("tags") != "${local.tags}"]
    assert untagged == []


def test_every_event_source_mapping_reports_batch_item_failures() -> None:
    mappings = resources("aws_lambda_event_source_mapping")
    assert {m.name for m in mappings} == {"kinesis", "sqs"}
    for mapping in mappings:
        assert mapping.body["function_response_types"] == ["ReportBatchItemFailures"], mapping.where


def test_the_kinesis_mapping_bisects_retries_a_bounded_number_of_times_then_parks_the_batch() -> (
    None
):
    (kinesis,) = [m for m in resources("aws_lambda_event_source_mapping") if m.name == "kinesis"]
    body = kinesis.body
    assert body["bisect_batch_on_function_error"] is True
    assert body["maximum_retry_attempts"] == "${var.maximum_retry_attempts}"
    assert body["starting_position"] == "TRIM_HORIZON"
    (destination,) = body["destination_config"]
    (on_failure,) = destination["on_failure"]
    assert on_failure["destination_arn"] == "${var.dead_letter_queue_arn}"


def test_the_sqs_queue_moves_poison_messages_to_its_dead_letter_queue() -> None:
    (queue,) = [q for q in resources("aws_sqs_queue") if q.name == "this"]
    assert "aws_sqs_queue.dead_letter.arn" in queue.body["redrive_policy"]
    assert "maxReceiveCount" in queue.body["redrive_policy"]


def test_the_csv_loader_parks_the_events_of_failed_loads_in_the_dead_letter_queue() -> None:
    """Checkov's function-DLQ check is skipped in lambda_function (the stream handlers have no
    asynchronous invokes), so the one function that has them is checked here."""
    (loader,) = [
        c for c in _shared_module_calls("lambda_function") if c.file.parent.name == "landing"
    ]
    assert loader.body["dead_letter_target_arn"] == "${var.dead_letter_queue_arn}"
    (function,) = [f for f in resources("aws_lambda_function") if f.name == "this"]
    dynamic = function.body["dynamic"][0]["dead_letter_config"]
    assert "var.dead_letter_target_arn" in dynamic["for_each"]
    (dead_letter,) = dynamic["content"]
    assert dead_letter["target_arn"] == "${dead_letter_config.value}"


def test_no_iam_statement_allows_every_action() -> None:
    documents = policy_documents()
    assert len(documents) > 10
    offending = []
    for document in documents:
        for statement in _statements(document):
            actions = statement.get("actions", [])
            if "*" in actions or (
                _is_allow(statement)
                and (_module_of(document), document.name) != KEY_POLICY
                and any(str(action).endswith(":*") for action in actions)
            ):
                offending.append(f"{document.where}: {actions}")
    assert offending == []


def test_resource_star_is_granted_only_where_aws_has_nothing_narrower() -> None:
    offending = []
    for document in policy_documents():
        if (_module_of(document), document.name) == KEY_POLICY:
            continue
        for statement in _statements(document):
            if not _is_allow(statement) or "*" not in statement.get("resources", []):
                continue
            actions = set(statement.get("actions", []))
            if not actions <= ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS:
                offending.append(f"{document.where}: {sorted(actions)} on *")
    assert offending == []


def test_every_role_gets_its_own_inline_policy_and_no_managed_admin_policy() -> None:
    roles = resources("aws_iam_role")
    policies = resources("aws_iam_role_policy")
    assert roles
    assert resources("aws_iam_role_policy_attachment") == []
    attached_roles = {re.sub(r"\.id\}$|\[.*$", "", str(p.body["role"])) for p in policies}
    for role in roles:
        assert f"${{aws_iam_role.{role.name}" in attached_roles, role.where
    # Roles are made in one place only, the iam_role module; the plan test counts the instances.
    assert {role.file.parent.name for role in roles} == {"iam_role"}
    assert len(_shared_module_calls("iam_role")) >= 5


def _bucket_references(resource_type: str) -> set[str]:
    """Names of the aws_s3_bucket resources a bucket-level resource type configures."""
    names = set()
    for block in resources(resource_type):
        source = str(block.body.get("for_each", "")) + str(block.body.get("bucket", ""))
        names.update(re.findall(r"aws_s3_bucket\.(\w+)", source))
    return names


def test_every_bucket_is_kms_encrypted_private_versioned_and_tls_only() -> None:
    buckets = {b.name for b in resources("aws_s3_bucket")}
    assert buckets
    for setting in (
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_lifecycle_configuration",
    ):
        assert buckets <= _bucket_references(setting), setting

    for encryption in resources("aws_s3_bucket_server_side_encryption_configuration"):
        (rule,) = encryption.body["rule"]
        (default,) = rule["apply_server_side_encryption_by_default"]
        assert default["sse_algorithm"] == "aws:kms"
        assert default["kms_master_key_id"] == "${var.kms_key_arn}"
    for block in resources("aws_s3_bucket_public_access_block"):
        for flag in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ):
            assert block.body[flag] is True, f"{block.where}: {flag}"
    for policy in resources("aws_s3_bucket_policy"):
        assert "tls_only" in policy.body["policy"], policy.where


def test_the_lake_expires_quarantine_but_never_the_served_run() -> None:
    """No lifecycle rule may expire a run folder: S3 cannot tell the published run from the
    others, and the job prunes runs itself (batch_layer/runs.py)."""
    (lake_main,) = [f for f in tf_files() if f.parent.name == "lake" and f.name == "main.tf"]
    text = lake_main.read_text()
    assert 'prefix = "bronze/_quarantine/"' in text
    lake_rules = re.search(r"\n    lake = \[(.*?)\n    \]", text, re.DOTALL)
    assert lake_rules, "the lake's lifecycle rules"
    prefixes = re.findall(r'prefix = "([^"]*)"', lake_rules[1])
    assert prefixes == ["bronze/_quarantine/"]


def test_only_compacted_bronze_moves_to_intelligent_tiering_and_nothing_there_expires() -> None:
    """Intelligent-Tiering has no retrieval fee, so a full rebuild reading old bronze costs
    nothing more; only the lake's compacted hours go (the landed batches are small, short-lived,
    and each transition is billed per object), and the rule transitions, never expires."""
    (lifecycle,) = resources("aws_s3_bucket_lifecycle_configuration")
    tiering = [
        block["rule"]
        for block in lifecycle.body["dynamic"]
        if "bronze-intelligent-tiering" in str(block["rule"]["content"])
    ]
    assert len(tiering) == 1
    assert tiering[0]["for_each"].startswith('${each.key == "lake" && var.bronze_intelligent')
    (content,) = tiering[0]["content"]
    ((conditions,),) = [f["and"] for f in content["filter"]]
    assert conditions == {"prefix": "bronze/sales_events/", "object_size_greater_than": 131072}
    assert [t["storage_class"] for t in content["transition"]] == ["INTELLIGENT_TIERING"]
    assert "expiration" not in content


def test_every_store_of_data_is_encrypted_with_the_platform_key() -> None:
    expectations = {
        "aws_kinesis_stream": ("kms_key_id", "${var.kms_key_arn}"),
        "aws_sqs_queue": ("kms_master_key_id", "${var.kms_key_arn}"),
        "aws_cloudwatch_log_group": ("kms_key_id", "${var.kms_key_arn}"),
        "aws_secretsmanager_secret": ("kms_key_id", "${var.kms_key_arn}"),
        "aws_sns_topic": ("kms_master_key_id", "${var.kms_key_arn}"),
        "aws_lambda_function": ("kms_key_arn", "${var.kms_key_arn}"),
    }
    for resource_type, (attribute, value) in expectations.items():
        found = resources(resource_type)
        assert found, resource_type
        for block in found:
            assert block.body.get(attribute) == value, block.where


def test_lambda_functions_run_the_handlers_the_layers_expose() -> None:
    commands = set()
    for tf in tf_files():
        commands.update(re.findall(r'"((?:speed|batch)_layer\.[\w.]+)"', tf.read_text()))
    assert commands == {
        "speed_layer.lambda_handlers.kinesis_handler",
        "speed_layer.lambda_handlers.sqs_handler",
        "batch_layer.csv_lambda.handler",
    }


def test_every_entry_point_the_infrastructure_runs_exists() -> None:
    for dotted in (
        "speed_layer.lambda_handlers.kinesis_handler",
        "speed_layer.lambda_handlers.sqs_handler",
        "batch_layer.csv_lambda.handler",
    ):
        module, _, name = dotted.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name)), dotted
    assert importlib.util.find_spec("speed_layer.kcl_processor") is not None
    assert (REPO_ROOT / "batch_layer" / "emr" / "entrypoint.py").is_file()
    commands = {command.name for command in COMMANDS}
    assert {"api", "compact", "serve"} <= commands


def test_every_salesflow_command_a_task_runs_is_one_the_cli_accepts() -> None:
    modules = {command.name: command.module for command in COMMANDS}
    commands = []
    for definition in resources("aws_ecs_task_definition"):
        text = str(definition.body["container_definitions"])
        commands += [json.loads(found) for found in re.findall(r"command\s*=\s*(\[[^\]]*\])", text)]
    services = _shared_module_calls("ecs_service")
    commands += [call.body["command"] for call in services if "command" in call.body]
    assert sorted(command[1] for command in commands) == ["api", "compact", "serve"]
    for command in commands:
        assert command[0] == "salesflow"
        parser = argparse.ArgumentParser()
        importlib.import_module(modules[command[1]]).add_arguments(parser)
        parser.parse_args(command[2:])


def test_every_salesflow_variable_terraform_sets_is_a_setting() -> None:
    names = set()
    for tf in tf_files():
        names.update(re.findall(r"\b(SALESFLOW_[A-Z_]+)\s*=", tf.read_text()))
    assert len(names) > 10
    unknown = [
        n for n in names if n.removeprefix("SALESFLOW_").lower() not in Settings.model_fields
    ]
    assert unknown == []


def test_the_env_root_takes_every_resource_name_from_the_contract_file() -> None:
    main = (ENV_DIR / "main.tf").read_text()
    assert 'file("${path.module}/../../../../contract/resource_names.json")' in main
    wiring = {
        ("stream", "stream_name"): "stream",
        ("stream", "queue_name"): "queue",
        ("stream", "dead_letter_queue_name"): "dead_letter_queue",
        ("lake", "lake_bucket"): "lake_bucket",
        ("lake", "athena_results_bucket"): "athena_results_bucket",
        ("catalog", "glue_database"): "glue_database",
        ("catalog", "athena_workgroup"): "athena_workgroup",
        ("ingest", "api_keys_secret_name"): "api_keys_secret",
        ("speed", "kcl_lease_table"): "kcl_lease_table",
        ("customer_profiles", "table_name"): "customer_profiles_table",
    }
    modules = {m.name: m.body for m in _env_root_modules()}
    for (module, argument), name in wiring.items():
        assert modules[module][argument] == f"${{local.names.{name}}}", (module, argument)


def test_every_checkov_skip_states_its_reason() -> None:
    skips = []
    for tf in TERRAFORM_DIR.rglob("*.tf"):
        skips += re.findall(r"checkov:skip=([^\n]*)", tf.read_text())
    assert skips
    unexplained = [s for s in skips if not re.fullmatch(r"CKV2?_AWS_\d+:.{30,}", s)]
    assert unexplained == []


def _grants(module: str, document_name: str) -> dict[str, list[str]]:
    """Action -> the resources one policy document grants it on (a `for` expression whole)."""
    (document,) = [
        d for d in policy_documents() if (_module_of(d), d.name) == (module, document_name)
    ]
    grants: dict[str, list[str]] = {}
    for statement in _statements(document):
        resources = statement["resources"]
        for action in statement["actions"]:
            found = grants.setdefault(action, [])
            found += [resources] if isinstance(resources, str) else resources
    return grants


def test_the_nightly_job_may_move_the_catalog_to_its_run_and_do_nothing_else_there() -> None:
    grants = _grants("batch", "job")
    glue = ["${local.glue_catalog_arn}", "${local.glue_database_arn}", "${local.glue_tables_arn}"]
    for action in ("glue:GetDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable"):
        assert grants[action] == glue, action
    for action in ("athena:StartQueryExecution", "athena:GetQueryExecution"):
        assert grants[action] == ["${var.athena_workgroup_arn}"], action
    assert grants["s3:PutObject"][-1] == "${local.results_bucket_arn}/*"
    services = {action.split(":")[0] for action in grants}
    assert services == {"s3", "glue", "athena", "kms", "dynamodb"}
    assert "glue:CreateDatabase" not in grants, "Terraform makes the database; the sync asks first"
    assert not [action for action in grants if action.startswith("glue:Delete")]


def test_loading_reference_data_and_history_reaches_only_their_prefixes() -> None:
    """The prefixes `salesflow reference load`, `load-csv` and `reconcile load` write
    (contract.lake)."""
    (lake_iam,) = [f for f in tf_files() if f.parent.name == "lake" and f.name == "iam.tf"]
    (local_values,) = parse(lake_iam)["locals"]
    assert local_values["loader_prefixes"] == [
        f"{folder}/*"
        for folder in (
            REFERENCE,
            CSV_UPLOADS,
            CSV_LOADS,
            CSV_STAGING,
            f"{QUARANTINE}/csv",
            RECONCILIATION_REPORTS,
        )
    ]
    grants = _grants("lake", "loader")
    lake = "${local.lake_bucket_arn}"
    per_prefix = '${[for prefix in local.loader_prefixes : "${local.lake_bucket_arn}/${prefix}"]}'
    for action in ("s3:GetObject", "s3:PutObject"):
        assert grants[action] == [per_prefix], action
    assert grants["s3:ListBucket"] == [lake]
    assert grants["s3:DeleteObject"] == [f"{lake}/{CSV_STAGING}/*"]
    assert {action.split(":")[0] for action in grants} == {"s3", "kms"}


def test_the_nightly_job_loads_pending_csv_exports_within_the_loaders_prefixes() -> None:
    """`run_batch` starts with `load_pending` (batch_layer/csv_pending.py): it stages parts, moves
    them into the uploads and the CSV quarantine, writes load records and deletes the requests it
    served. The job's role reaches those prefixes, and in bronze nothing else."""
    (batch_main,) = [f for f in tf_files() if f.parent.name == "batch" and f.name == "main.tf"]
    (local_values,) = parse(batch_main)["locals"]
    written = [CSV_STAGING, CSV_UPLOADS, CSV_LOADS, f"{QUARANTINE}/csv"]
    assert local_values["csv_load_prefixes"] == [*(f"{p}/*" for p in written), f"{CSV_PENDING}/"]
    assert local_values["csv_delete_prefixes"] == [f"{CSV_STAGING}/*", f"{CSV_PENDING}/*"]
    grants = _grants("batch", "job")
    lake = "${local.lake_bucket_arn}"
    loads = '${[for prefix in local.csv_load_prefixes : "${local.lake_bucket_arn}/${prefix}"]}'
    deletes = '${[for prefix in local.csv_delete_prefixes : "${local.lake_bucket_arn}/${prefix}"]}'
    assert grants["s3:PutObject"][:2] == [f"{lake}/silver/*", f"{lake}/gold/*"]
    assert loads in grants["s3:PutObject"]
    assert loads in grants["s3:AbortMultipartUpload"]
    assert grants["s3:DeleteObject"] == [f"{lake}/silver/*", f"{lake}/gold/*", deletes]
    bronze_writes = [
        resource
        for action in ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
        for resource in grants[action]
        if "bronze" in resource
    ]
    assert bronze_writes == []
