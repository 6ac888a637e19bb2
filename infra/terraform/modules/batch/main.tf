# The batch layer in AWS: the nightly PySpark job on EMR Serverless, started by EventBridge
# Scheduler (T = its start minus the configured lag), which publishes a run and then moves the Glue
# tables and Athena views to it, and the hourly compaction of the speed layer's small files as a
# Fargate task.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  lake_bucket_arn      = "arn:aws:s3:::${var.lake_bucket}"
  results_bucket_arn   = "arn:aws:s3:::${var.athena_results_bucket}"
  artifacts_bucket_arn = "arn:aws:s3:::${var.artifacts_bucket}"
  artifacts_uri        = "s3://${var.artifacts_bucket}/${var.artifacts_prefix}"
  glue_catalog_arn     = "arn:aws:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:catalog"
  glue_database_arn    = "arn:aws:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:database/${var.glue_database}"
  glue_tables_arn      = "arn:aws:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:table/${var.glue_database}/*"

  # The CSV loader's prefixes (contract/lake.py): what a pending load writes, and what it removes
  # once done. Deleting the last object of a prefix makes the S3 filesystem write an empty marker
  # for its folder (`bronze/csv_pending/`), hence PutObject there too.
  csv_load_prefixes   = ["bronze/_staging/csv/*", "bronze/csv_uploads/*", "bronze/csv_loads/*", "bronze/_quarantine/csv/*", "bronze/csv_pending/"]
  csv_delete_prefixes = ["bronze/_staging/csv/*", "bronze/csv_pending/*"]

  # The job runs in the Python environment archive (Dockerfile target emr-artifacts): Python
  # 3.11 with salesflow and its pinned dependencies installed, so no --py-files are needed.
  # Its settings are the root's salesflow_environment, the map every other component runs with,
  # as the driver's environment: the entry point reads them with the ordinary Settings.
  spark_submit_parameters = join(" ", concat(
    [
      "--conf spark.archives=${local.artifacts_uri}/pyspark_env.tar.gz#environment",
      "--conf spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON=./environment/bin/python",
      "--conf spark.emr-serverless.driverEnv.PYSPARK_PYTHON=./environment/bin/python",
      "--conf spark.executorEnv.PYSPARK_PYTHON=./environment/bin/python",
      "--conf spark.sql.session.timeZone=UTC",
    ],
    [for name in sort(keys(var.environment)) : "--conf spark.emr-serverless.driverEnv.${name}=${var.environment[name]}"],
  ))

  # The job run as StartJobRun takes it. Without --cutoff, T is the start minus
  # SALESFLOW_BATCH_CUTOFF_LAG_SECONDS; a manual run may add the T it wants (docs/deploy.md).
  job_driver = {
    sparkSubmit = {
      entryPoint            = "${local.artifacts_uri}/entrypoint.py"
      entryPointArguments   = ["run"]
      sparkSubmitParameters = local.spark_submit_parameters
    }
  }
}

resource "aws_emrserverless_application" "this" {
  name          = "${var.name_prefix}-batch"
  release_label = var.emr_release_label
  type          = "spark"
  # The job's Python environment archive is built for linux/amd64 (Dockerfile, emr-artifacts).
  architecture = "X86_64"

  maximum_capacity {
    cpu    = "${var.max_vcpu} vCPU"
    memory = "${var.max_memory_gb} GB"
  }

  auto_start_configuration {
    enabled = true
  }

  auto_stop_configuration {
    enabled              = true
    idle_timeout_minutes = 15
  }

  tags = var.tags
}

# --- the Spark job's role ----------------------------------------------------------------------

data "aws_iam_policy_document" "job" {
  statement {
    sid       = "ListTheLakeAndArtifacts"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_bucket_arn, local.artifacts_bucket_arn]
  }
  statement {
    sid       = "ReadBronzeReferenceAndPublishedRuns"
    actions   = ["s3:GetObject"]
    resources = ["${local.lake_bucket_arn}/*"]
  }
  statement {
    sid       = "WriteSilverGoldAndThePointer"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${local.lake_bucket_arn}/silver/*", "${local.lake_bucket_arn}/gold/*"]
  }
  # Before reading its inputs the job loads the CSV exports the CSV Lambda handed over as too
  # large (batch_layer/csv_pending.py): it stages parts, moves them into bronze/csv_uploads and
  # the CSV quarantine (a copy, then a delete of the staged part), writes the load record, and
  # deletes each request it served. Nothing else in bronze: never the speed layer's events.
  statement {
    sid       = "LoadPendingCsvExports"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [for prefix in local.csv_load_prefixes : "${local.lake_bucket_arn}/${prefix}"]
  }
  statement {
    sid       = "ClearCsvStagingAndServedRequests"
    actions   = ["s3:DeleteObject"]
    resources = [for prefix in local.csv_delete_prefixes : "${local.lake_bucket_arn}/${prefix}"]
  }
  statement {
    sid       = "ReadJobCode"
    actions   = ["s3:GetObject"]
    resources = ["${local.artifacts_bucket_arn}/${var.artifacts_prefix}/*"]
  }
  statement {
    sid       = "WriteJobLogs"
    actions   = ["s3:PutObject"]
    resources = ["${local.artifacts_bucket_arn}/emr-logs/*"]
  }
  # After publishing, the job moves the catalog to the run (serving.catalog_sync, docs/adr/0008):
  # it re-points the published tables and re-creates the views through Athena, which writes each
  # statement's result file to the workgroup's enforced location at the results bucket's root.
  statement {
    sid       = "MoveTheCatalogToThePublishedRun"
    actions   = ["glue:GetDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable"]
    resources = [local.glue_catalog_arn, local.glue_database_arn, local.glue_tables_arn]
  }
  statement {
    sid       = "RecreateTheViewsInTheWorkgroup"
    actions   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:StopQueryExecution"]
    resources = [var.athena_workgroup_arn]
  }
  statement {
    sid       = "LocateTheQueryResults"
    actions   = ["s3:GetBucketLocation", "s3:ListBucket"]
    resources = [local.results_bucket_arn]
  }
  statement {
    sid       = "WriteTheQueryResults"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${local.results_bucket_arn}/*"]
  }
  # After publishing, the job loads the run's customer profiles into DynamoDB (docs/adr/0013):
  # whole-item puts of the run's items and its marker, nothing read, nothing deleted (TTL does).
  statement {
    sid       = "LoadThePublishedRunsCustomerProfiles"
    actions   = ["dynamodb:BatchWriteItem", "dynamodb:PutItem"]
    resources = [var.profile_table_arn]
  }
  statement {
    sid       = "UseThePlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  # In an account whose Glue Data Catalog is encrypted, creating views and updating tables
  # (through Athena too) encrypts catalog objects with the caller's rights on the catalog's key.
  dynamic "statement" {
    for_each = var.glue_catalog_kms_key_arn == "" ? [] : [var.glue_catalog_kms_key_arn]
    content {
      sid       = "WriteTheEncryptedCatalog"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

module "job_role" {
  source = "../iam_role"

  name           = "${var.name_prefix}-batch-job"
  service        = "emr-serverless.amazonaws.com"
  source_account = data.aws_caller_identity.current.account_id
  policy_name    = "build-gold"
  policy_json    = data.aws_iam_policy_document.job.json
  tags           = var.tags
}

# --- hourly compaction as a Fargate task ------------------------------------------------------

data "aws_iam_policy_document" "compaction_task" {
  statement {
    sid       = "ListBronzeEvents"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["bronze/sales_events/*"]
    }
  }
  statement {
    sid       = "RewriteClosedHours"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${local.lake_bucket_arn}/bronze/sales_events/*"]
  }
  statement {
    sid       = "UseThePlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

module "compaction" {
  source = "../ecs_service"

  name_prefix        = var.name_prefix
  name               = "compaction"
  short_name         = "compaction"
  kms_key_arn        = var.kms_key_arn
  log_retention_days = var.log_retention_days
  image              = var.service_image
  repository_arn     = var.service_repository_arn
  command            = ["salesflow", "compact", "--open-hours"]
  environment        = var.environment
  cpu                = 1024
  memory             = 4096
  task_policy_name   = "compact-bronze"
  task_policy_json   = data.aws_iam_policy_document.compaction_task.json

  vpc_id              = var.vpc_id
  private_subnet_ids  = var.private_subnet_ids
  aws_api_egress_cidr = var.aws_api_egress_cidr
  security_group = {
    name                     = "${var.name_prefix}-compaction"
    description              = "Compaction task: no inbound, HTTPS out to S3, ECR and CloudWatch"
    https_egress_description = "HTTPS to S3, ECR and CloudWatch (via NAT or VPC endpoints)"
  }

  # The hourly schedule below runs the task in the cluster.
  create_service = false
  cluster_arn    = var.cluster_arn
  tags           = var.tags
}

# --- schedules ---------------------------------------------------------------------------------

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "StartTheNightlyJob"
    actions   = ["emr-serverless:StartJobRun"]
    resources = [aws_emrserverless_application.this.arn]
  }
  statement {
    sid       = "RunTheCompactionTask"
    actions   = ["ecs:RunTask"]
    resources = ["arn:aws:ecs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:task-definition/${module.compaction.task_definition_family}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }
  statement {
    sid       = "HandTheirRolesToTheJobs"
    actions   = ["iam:PassRole"]
    resources = [module.job_role.arn, module.compaction.execution_role_arn, module.compaction.task_role_arn]
  }
  statement {
    sid       = "ReadTheEncryptedSchedule"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

module "scheduler_role" {
  source = "../iam_role"

  name           = "${var.name_prefix}-batch-scheduler"
  service        = "scheduler.amazonaws.com"
  source_account = data.aws_caller_identity.current.account_id
  policy_name    = "start-batch-work"
  policy_json    = data.aws_iam_policy_document.scheduler.json
  tags           = var.tags
}

# The platform's own group, so the scheduler alarms (observability) watch these schedules only.
resource "aws_scheduler_schedule_group" "this" {
  name = var.name_prefix
  tags = var.tags
}

resource "aws_scheduler_schedule" "nightly" {
  name                         = "${var.name_prefix}-nightly-batch"
  group_name                   = aws_scheduler_schedule_group.this.name
  description                  = "Rebuilds gold (T = start minus the cutoff lag), publishes it, moves the catalog to it"
  schedule_expression          = var.nightly_schedule
  schedule_expression_timezone = var.schedule_timezone
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = "arn:aws:scheduler:::aws-sdk:emrserverless:startJobRun"
    role_arn = module.scheduler_role.arn
    input = jsonencode({
      ApplicationId    = aws_emrserverless_application.this.id
      ExecutionRoleArn = module.job_role.arn
      ClientToken      = "<aws.scheduler.execution-id>"
      Name             = "nightly-<aws.scheduler.scheduled-time>"
      JobDriver = {
        SparkSubmit = {
          EntryPoint = local.job_driver.sparkSubmit.entryPoint
          # No --cutoff: T defaults to the start minus SALESFLOW_BATCH_CUTOFF_LAG_SECONDS, so an
          # event acknowledged just before the run but not yet landed stays in the real-time view.
          EntryPointArguments   = local.job_driver.sparkSubmit.entryPointArguments
          SparkSubmitParameters = local.job_driver.sparkSubmit.sparkSubmitParameters
        }
      }
      ConfigurationOverrides = {
        MonitoringConfiguration = {
          S3MonitoringConfiguration = { LogUri = "s3://${var.artifacts_bucket}/emr-logs/" }
        }
      }
    })

    retry_policy {
      maximum_retry_attempts       = 3
      maximum_event_age_in_seconds = 3600
    }
  }
}

resource "aws_scheduler_schedule" "compaction" {
  name                         = "${var.name_prefix}-compaction"
  group_name                   = aws_scheduler_schedule_group.this.name
  description                  = "Merges the speed layer's small bronze files, open hours included"
  schedule_expression          = var.compaction_schedule
  schedule_expression_timezone = "UTC"
  kms_key_arn                  = var.kms_key_arn

  # Runs every few minutes must not bunch up: a flexible window would let two overlap (a plan
  # younger than 30 minutes keeps a second run off the hour anyway: speed_layer/compaction.py).
  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.cluster_arn
    role_arn = module.scheduler_role.arn

    ecs_parameters {
      task_definition_arn = module.compaction.task_definition_arn
      launch_type         = "FARGATE"
      task_count          = 1

      network_configuration {
        subnets          = var.private_subnet_ids
        security_groups  = [module.compaction.security_group_id]
        assign_public_ip = false
      }
    }

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 1800
    }
  }
}
