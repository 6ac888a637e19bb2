# The batch layer in AWS: the nightly PySpark job on EMR Serverless, started by EventBridge
# Scheduler with the scheduled time as its cutoff T (a rerun of the same schedule gives the same
# gold), and the hourly compaction of the speed layer's small files as a Fargate task.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  lake_bucket_arn      = "arn:aws:s3:::${var.lake_bucket}"
  artifacts_bucket_arn = "arn:aws:s3:::${var.artifacts_bucket}"
  artifacts_uri        = "s3://${var.artifacts_bucket}/${var.artifacts_prefix}"

  # The job runs in the Python environment archive (Dockerfile target emr-artifacts): Python
  # 3.11 with salesflow and its pinned dependencies installed, so no --py-files are needed.
  spark_submit_parameters = join(" ", [
    "--conf spark.archives=${local.artifacts_uri}/pyspark_env.tar.gz#environment",
    "--conf spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON=./environment/bin/python",
    "--conf spark.emr-serverless.driverEnv.PYSPARK_PYTHON=./environment/bin/python",
    "--conf spark.executorEnv.PYSPARK_PYTHON=./environment/bin/python",
    "--conf spark.sql.session.timeZone=UTC",
  ])

  # The job run as StartJobRun takes it, minus the cutoff: the schedule adds its scheduled time,
  # a manual run adds the T it wants (docs/deploy.md).
  job_driver = {
    sparkSubmit = {
      entryPoint            = "${local.artifacts_uri}/entrypoint.py"
      entryPointArguments   = ["run", "--lake", "s3://${var.lake_bucket}"]
      sparkSubmitParameters = local.spark_submit_parameters
    }
  }
}

resource "aws_emrserverless_application" "this" {
  name          = "${var.name_prefix}-batch"
  release_label = var.emr_release_label
  type          = "spark"

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

data "aws_iam_policy_document" "emr_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["emr-serverless.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "job" {
  name               = "${var.name_prefix}-batch-job"
  assume_role_policy = data.aws_iam_policy_document.emr_assume.json
  tags               = var.tags
}

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
  statement {
    sid       = "UseThePlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "job" {
  name   = "build-gold"
  role   = aws_iam_role.job.id
  policy = data.aws_iam_policy_document.job.json
}

# --- hourly compaction as a Fargate task ------------------------------------------------------

resource "aws_cloudwatch_log_group" "compaction" {
  name              = "/ecs/${var.name_prefix}/compaction"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "compaction_execution" {
  name               = "${var.name_prefix}-compaction-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "compaction_execution" {
  statement {
    sid       = "EcrLoginHasNoResourceLevelPermissions"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "PullTheServiceImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [var.service_repository_arn]
  }
  statement {
    sid       = "WriteContainerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.compaction.arn}:*"]
  }
  statement {
    sid       = "DecryptTheImage"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "compaction_execution" {
  name   = "start-compaction-task"
  role   = aws_iam_role.compaction_execution.id
  policy = data.aws_iam_policy_document.compaction_execution.json
}

resource "aws_iam_role" "compaction_task" {
  name               = "${var.name_prefix}-compaction-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

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

resource "aws_iam_role_policy" "compaction_task" {
  name   = "compact-bronze"
  role   = aws_iam_role.compaction_task.id
  policy = data.aws_iam_policy_document.compaction_task.json
}

resource "aws_security_group" "compaction" {
  #checkov:skip=CKV2_AWS_5:Attached at run time by the hourly schedule's ECS target (aws_scheduler_schedule.compaction), which checkov does not follow.
  name        = "${var.name_prefix}-compaction"
  description = "Compaction task: no inbound, HTTPS out to S3, ECR and CloudWatch"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_egress_rule" "compaction_https" {
  security_group_id = aws_security_group.compaction.id
  description       = "HTTPS to S3, ECR and CloudWatch (via NAT or VPC endpoints)"
  cidr_ipv4         = var.aws_api_egress_cidr
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
  tags              = var.tags
}

resource "aws_ecs_task_definition" "compaction" {
  family                   = "${var.name_prefix}-compaction"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 1024
  memory                   = 4096
  execution_role_arn       = aws_iam_role.compaction_execution.arn
  task_role_arn            = aws_iam_role.compaction_task.arn

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = "compaction"
    image                  = var.service_image
    essential              = true
    readonlyRootFilesystem = true
    command                = ["salesflow", "compact"]
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    environment            = [for name in sort(keys(var.environment)) : { name = name, value = var.environment[name] }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.compaction.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "compaction"
      }
    }
  }])

  tags = var.tags
}

# --- schedules ---------------------------------------------------------------------------------

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name_prefix}-batch-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "StartTheNightlyJob"
    actions   = ["emr-serverless:StartJobRun"]
    resources = [aws_emrserverless_application.this.arn]
  }
  statement {
    sid       = "RunTheCompactionTask"
    actions   = ["ecs:RunTask"]
    resources = ["arn:aws:ecs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:task-definition/${aws_ecs_task_definition.compaction.family}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }
  statement {
    sid       = "HandTheirRolesToTheJobs"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.job.arn, aws_iam_role.compaction_execution.arn, aws_iam_role.compaction_task.arn]
  }
  statement {
    sid       = "ReadTheEncryptedSchedule"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "start-batch-work"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "nightly" {
  name                         = "${var.name_prefix}-nightly-batch"
  description                  = "Rebuilds gold with cutoff T = the scheduled time"
  schedule_expression          = var.nightly_schedule
  schedule_expression_timezone = var.schedule_timezone
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = "arn:aws:scheduler:::aws-sdk:emrserverless:startJobRun"
    role_arn = aws_iam_role.scheduler.arn
    input = jsonencode({
      ApplicationId    = aws_emrserverless_application.this.id
      ExecutionRoleArn = aws_iam_role.job.arn
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
  name                         = "${var.name_prefix}-hourly-compaction"
  description                  = "Merges the speed layer's small bronze files of closed hours"
  schedule_expression          = var.compaction_schedule
  schedule_expression_timezone = "UTC"
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode                      = "FLEXIBLE"
    maximum_window_in_minutes = 10
  }

  target {
    arn      = var.cluster_arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.compaction.arn
      launch_type         = "FARGATE"
      task_count          = 1

      network_configuration {
        subnets          = var.private_subnet_ids
        security_groups  = [aws_security_group.compaction.id]
        assign_public_ip = false
      }
    }

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 1800
    }
  }
}
