# The whole platform in one AWS account and region. Resource names come from
# contract/resource_names.json, the file the Python settings read too, so the names the code
# expects and the names Terraform creates cannot drift apart.

data "aws_caller_identity" "current" {}

locals {
  name_templates = { for key, template in jsondecode(file("${path.module}/../../../../contract/resource_names.json")) : key => template if !startswith(key, "_") }
  names          = { for key, template in local.name_templates : key => replace(replace(template, "{prefix_snake}", replace(var.name_prefix, "-", "_")), "{prefix}", var.name_prefix) }

  artifacts_bucket = "${var.name_prefix}-artifacts"

  tags = merge(var.tags, {
    Project    = "salesflow"
    NamePrefix = var.name_prefix
  })

  # The SALESFLOW_* settings every component runs with; the same values are this root's outputs.
  # The nightly job gets them as its driver's environment and the serving tasks as theirs, so the
  # views the job installs after publishing and the ones a serving task installs are the same
  # text (docs/adr/0006). No secret belongs here: the job's parameters are visible in its run.
  salesflow_environment = {
    SALESFLOW_NAME_PREFIX              = var.name_prefix
    SALESFLOW_AWS_REGION               = var.region
    SALESFLOW_REPORTING_TZ             = var.reporting_tz
    SALESFLOW_BUSINESS_DAY             = var.business_day
    SALESFLOW_STREAM_NAME              = module.stream.stream_name
    SALESFLOW_QUEUE_NAME               = module.stream.queue_name
    SALESFLOW_DEAD_LETTER_QUEUE_NAME   = module.stream.dead_letter_queue_name
    SALESFLOW_LAKE_BUCKET              = module.lake.lake_bucket
    SALESFLOW_LAKE_URI                 = "s3://${module.lake.lake_bucket}"
    SALESFLOW_ATHENA_RESULTS_BUCKET    = module.lake.athena_results_bucket
    SALESFLOW_GLUE_DATABASE            = module.catalog.glue_database
    SALESFLOW_ATHENA_WORKGROUP         = module.catalog.athena_workgroup
    SALESFLOW_SERVING_ENGINE           = var.serving_engine
    SALESFLOW_SPEED_BATCH_SIZE         = tostring(var.speed_batch_size)
    SALESFLOW_BATCH_CUTOFF_LAG_SECONDS = tostring(var.batch_cutoff_lag_seconds)
    SALESFLOW_PUBLISH_CATALOG          = "athena"
    SALESFLOW_CUSTOMER_PROFILES_TABLE  = module.customer_profiles.table_name
    SALESFLOW_CUSTOMER_PROFILE_STORE   = "dynamodb"

    # One dead-letter queue per source (docs/operations.md): `salesflow redrive` and
    # `salesflow load-csv --dead-letters` find them by these names.
    SALESFLOW_KINESIS_DEAD_LETTER_QUEUE_NAME = module.stream.kinesis_dead_letter_queue_name
    SALESFLOW_CSV_DEAD_LETTER_QUEUE_NAME     = module.stream.csv_dead_letter_queue_name

    # Whether the ingest API puts its Kinesis records gzip-compressed; every salesflow consumer
    # reads both kinds (docs/cost.md).
    SALESFLOW_KINESIS_COMPRESSION = tostring(var.kinesis_compression)

    # How many complete runs the nightly job keeps besides the published one (rollback targets).
    SALESFLOW_GOLD_RUNS_KEPT = tostring(var.gold_runs_kept)

    # The gold days the real-time view looks up for earlier copies (0: every day); the nightly
    # job and the serving tasks render the same views from it.
    SALESFLOW_REALTIME_DEDUP_DAYS = tostring(var.realtime_dedup_days)

    # How often a serving task looks for newly landed files (a LIST of the days since T each
    # time, billed per thousand: docs/cost.md).
    SALESFLOW_SERVING_REFRESH_SECONDS = tostring(var.serving_refresh_seconds)

    # A DuckDB serving task keeps its tables compressed in a file on the task's storage, and
    # caches what the memory left beside Python and the app holds (docs/adr/0024).
    SALESFLOW_SERVING_DATABASE     = "/tmp/salesflow-serving.duckdb"
    SALESFLOW_SERVING_MEMORY_LIMIT = "${max(256, var.serving_memory - 768)}MiB"
  }
}

module "kms" {
  source = "../../modules/kms"

  name_prefix = var.name_prefix
  tags        = local.tags
}

module "registry" {
  source = "../../modules/registry"

  name_prefix = var.name_prefix
  kms_key_arn = module.kms.key_arn
  tags        = local.tags
}

module "stream" {
  source = "../../modules/stream"

  name_prefix            = var.name_prefix
  kms_key_arn            = module.kms.key_arn
  stream_name            = local.names.stream
  queue_name             = local.names.queue
  dead_letter_queue_name = local.names.dead_letter_queue
  stream_mode            = var.stream_mode
  shard_count            = var.shard_count
  retention_hours        = var.stream_retention_hours
  tags                   = local.tags

  kinesis_dead_letter_queue_name = local.names.kinesis_dead_letter_queue
  csv_dead_letter_queue_name     = local.names.csv_dead_letter_queue
}

module "lake" {
  source = "../../modules/lake"

  name_prefix           = var.name_prefix
  kms_key_arn           = module.kms.key_arn
  lake_bucket           = local.names.lake_bucket
  athena_results_bucket = local.names.athena_results_bucket
  artifacts_bucket      = local.artifacts_bucket
  force_destroy         = var.force_destroy
  tags                  = local.tags

  bronze_intelligent_tiering = var.bronze_intelligent_tiering
}

module "catalog" {
  source = "../../modules/catalog"

  name_prefix                    = var.name_prefix
  kms_key_arn                    = module.kms.key_arn
  glue_database                  = local.names.glue_database
  athena_workgroup               = local.names.athena_workgroup
  lake_bucket                    = module.lake.lake_bucket
  athena_results_bucket          = module.lake.athena_results_bucket
  bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff
  manage_catalog_encryption      = var.manage_catalog_encryption
  glue_catalog_kms_key_arn       = var.glue_catalog_kms_key_arn
  force_destroy                  = var.force_destroy
  tags                           = local.tags
}

module "customer_profiles" {
  source = "../../modules/customer_profiles"

  table_name          = local.names.customer_profiles_table
  kms_key_arn         = module.kms.key_arn
  deletion_protection = !var.force_destroy
  tags                = local.tags
}

module "ingest" {
  source = "../../modules/ingest"

  name_prefix                  = var.name_prefix
  kms_key_arn                  = module.kms.key_arn
  vpc_id                       = var.vpc_id
  public_subnet_ids            = var.public_subnet_ids
  private_subnet_ids           = var.private_subnet_ids
  allowed_cidr_blocks          = var.allowed_cidr_blocks
  certificate_arn              = var.certificate_arn
  deletion_protection          = var.api_deletion_protection
  container_image              = "${module.registry.service_repository_url}:${var.image_tag}"
  repository_arn               = module.registry.service_repository_arn
  sink                         = var.sink
  stream_arn                   = module.stream.stream_arn
  queue_arn                    = module.stream.queue_arn
  api_keys_secret_name         = local.names.api_keys_secret
  lake_bucket                  = module.lake.lake_bucket
  min_tasks                    = var.api_min_tasks
  max_tasks                    = var.api_max_tasks
  rate_limit_events_per_second = var.api_rate_limit_events_per_second
  environment                  = local.salesflow_environment
  tags                         = local.tags
}

module "speed" {
  source = "../../modules/speed"

  name_prefix             = var.name_prefix
  kms_key_arn             = module.kms.key_arn
  vpc_id                  = var.vpc_id
  private_subnet_ids      = var.private_subnet_ids
  stream_arn              = module.stream.stream_arn
  queue_arn               = module.stream.queue_arn
  dead_letter_queue_arn   = module.stream.kinesis_dead_letter_queue_arn
  lake_bucket             = module.lake.lake_bucket
  lambda_image            = "${module.registry.lambda_repository_url}:${var.image_tag}"
  batch_size              = var.speed_batch_size
  batching_window_seconds = var.speed_batching_window_seconds
  create_kcl_worker       = var.create_kcl_worker
  kcl_lease_table         = local.names.kcl_lease_table
  kcl_image               = "${module.registry.service_repository_url}:${var.image_tag}-kcl"
  service_repository_arn  = module.registry.service_repository_arn
  cluster_arn             = module.ingest.cluster_arn
  environment             = local.salesflow_environment
  tags                    = local.tags

  kcl_lease_table_deletion_protection = var.kcl_lease_table_deletion_protection
}

module "landing" {
  source = "../../modules/landing"

  name_prefix           = var.name_prefix
  kms_key_arn           = module.kms.key_arn
  account_id            = data.aws_caller_identity.current.account_id
  lake_bucket           = module.lake.lake_bucket
  dead_letter_queue_arn = module.stream.csv_dead_letter_queue_arn
  lambda_image          = "${module.registry.lambda_repository_url}:${var.image_tag}"
  environment           = local.salesflow_environment
  tags                  = local.tags
}

module "batch" {
  source = "../../modules/batch"

  name_prefix            = var.name_prefix
  kms_key_arn            = module.kms.key_arn
  vpc_id                 = var.vpc_id
  private_subnet_ids     = var.private_subnet_ids
  lake_bucket            = module.lake.lake_bucket
  artifacts_bucket       = module.lake.artifacts_bucket
  artifacts_prefix       = "batch/${var.image_tag}"
  athena_results_bucket  = module.lake.athena_results_bucket
  glue_database          = module.catalog.glue_database
  athena_workgroup_arn   = module.catalog.athena_workgroup_arn
  profile_table_arn      = module.customer_profiles.table_arn
  schedule_timezone      = var.reporting_tz
  cluster_arn            = module.ingest.cluster_arn
  service_image          = "${module.registry.service_repository_url}:${var.image_tag}"
  service_repository_arn = module.registry.service_repository_arn
  environment            = local.salesflow_environment
  tags                   = local.tags

  glue_catalog_kms_key_arn = var.glue_catalog_kms_key_arn
}

module "serving" {
  source = "../../modules/serving"
  count  = var.dashboard_host_name == "" ? 0 : 1

  glue_catalog_kms_key_arn = var.glue_catalog_kms_key_arn

  name_prefix           = var.name_prefix
  kms_key_arn           = module.kms.key_arn
  vpc_id                = var.vpc_id
  private_subnet_ids    = var.private_subnet_ids
  host_name             = var.dashboard_host_name
  allowed_cidr_blocks   = var.dashboard_allowed_cidr_blocks
  login                 = var.dashboard_login
  oidc_client_secret    = var.dashboard_oidc_client_secret
  listener_arn          = module.ingest.https_listener_arn
  alb_security_group_id = module.ingest.load_balancer_security_group_id
  cluster_arn           = module.ingest.cluster_arn
  container_image       = "${module.registry.service_repository_url}:${var.image_tag}"
  repository_arn        = module.registry.service_repository_arn
  lake_bucket           = module.lake.lake_bucket
  athena_results_bucket = module.lake.athena_results_bucket
  glue_database         = module.catalog.glue_database
  athena_workgroup_arn  = module.catalog.athena_workgroup_arn
  profile_table_arn     = module.customer_profiles.table_arn
  cpu                   = var.serving_cpu
  memory                = var.serving_memory
  ephemeral_storage_gib = var.serving_ephemeral_storage_gib
  environment           = local.salesflow_environment
  tags                  = local.tags
}

module "observability" {
  source = "../../modules/observability"

  name_prefix              = var.name_prefix
  kms_key_arn              = module.kms.key_arn
  alert_emails             = var.alert_emails
  stream_name              = module.stream.stream_name
  dead_letter_queue_name   = module.stream.dead_letter_queue_name
  load_balancer_arn_suffix = module.ingest.load_balancer_arn_suffix
  target_group_arn_suffix  = module.ingest.target_group_arn_suffix
  kinesis_function_name    = module.speed.kinesis_function_name
  lambda_function_names    = [module.speed.kinesis_function_name, module.speed.sqs_function_name, module.landing.function_name]
  emr_application_id       = module.batch.application_id
  athena_workgroup         = module.catalog.athena_workgroup
  serving_log_group_name   = try(module.serving[0].log_group_name, "")
  tags                     = local.tags

  queue_name                      = module.stream.queue_name
  kinesis_dead_letter_queue_name  = module.stream.kinesis_dead_letter_queue_name
  csv_dead_letter_queue_name      = module.stream.csv_dead_letter_queue_name
  schedule_group_name             = module.batch.schedule_group_name
  cluster_arn                     = module.ingest.cluster_arn
  compaction_task_family          = module.batch.compaction_task_family
  watch_serving                   = var.dashboard_host_name != ""
  serving_target_group_arn_suffix = try(module.serving[0].target_group_arn_suffix, "")
  monthly_budget_usd              = var.monthly_budget_usd
  budget_by_tag                   = var.budget_by_tag
}
