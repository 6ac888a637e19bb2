# The speed layer in AWS: two Lambda functions (one per stream kind) run the same `land()` the
# local poller runs, fed by event source mappings that report partial batch failures, bisect a
# failing batch, retry a bounded number of times and then park the batch's pointer in the DLQ.
# The KCL worker is the optional alternative for Kinesis, as an ECS service with its lease table.

data "aws_region" "current" {}

locals {
  lake_bucket_arn = "arn:aws:s3:::${var.lake_bucket}"
  bronze_writes = [
    "${local.lake_bucket_arn}/bronze/sales_events/*",
    "${local.lake_bucket_arn}/bronze/_quarantine/*",
  ]

  handlers = {
    kinesis = {
      command   = "speed_layer.lambda_handlers.kinesis_handler"
      summary   = "lands Kinesis records as bronze Parquet"
      read_sid  = "ReadTheStream"
      read_acts = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard"]
      read_arn  = var.stream_arn
    }
    sqs = {
      command   = "speed_layer.lambda_handlers.sqs_handler"
      summary   = "lands SQS messages as bronze Parquet"
      read_sid  = "ConsumeTheQueue"
      read_acts = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
      read_arn  = var.queue_arn
    }
  }
}

resource "aws_cloudwatch_log_group" "handler" {
  for_each = local.handlers

  name              = "/aws/lambda/${var.name_prefix}-speed-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "handler" {
  for_each = local.handlers

  name               = "${var.name_prefix}-speed-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "handler" {
  for_each = local.handlers

  statement {
    sid       = each.value.read_sid
    actions   = each.value.read_acts
    resources = [each.value.read_arn]
  }
  statement {
    sid       = "LandBronzeAndQuarantine"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = local.bronze_writes
  }
  statement {
    sid       = "LetTheFilesystemClientCheckTheBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_bucket_arn]
  }
  statement {
    sid       = "ParkFailedBatchesInTheDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [var.dead_letter_queue_arn]
  }
  statement {
    sid       = "UseThePlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.handler[each.key].arn}:*"]
  }
  statement {
    sid       = "XRayHasNoResourceLevelPermissions"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "handler" {
  for_each = local.handlers

  name   = "land-${each.key}-records"
  role   = aws_iam_role.handler[each.key].id
  policy = data.aws_iam_policy_document.handler[each.key].json
}

resource "aws_lambda_function" "handler" {
  #checkov:skip=CKV_AWS_116:Invoked only by event source mappings, whose on-failure destination (Kinesis) or queue redrive policy (SQS) is the dead-letter path; a function DLQ covers async invokes only.
  #checkov:skip=CKV_AWS_117:The handlers reach only AWS APIs (stream, queue, S3); a VPC would add NAT cost and no isolation.
  #checkov:skip=CKV_AWS_272:Code signing applies to .zip packages; these functions run an immutable ECR image.
  for_each = local.handlers

  function_name                  = "${var.name_prefix}-speed-${each.key}"
  description                    = "salesflow speed layer: ${each.value.summary}"
  role                           = aws_iam_role.handler[each.key].arn
  package_type                   = "Image"
  image_uri                      = var.lambda_image
  architectures                  = ["x86_64"]
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  image_config {
    command = [each.value.command]
  }

  environment {
    variables = var.environment
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.handler[each.key].name
  }

  depends_on = [aws_iam_role_policy.handler]
  tags       = var.tags
}

# With the KCL worker on, it is the stream's only consumer: two consumers would land every batch
# twice under different file names.
resource "aws_lambda_event_source_mapping" "kinesis" {
  count = var.create_kcl_worker ? 0 : 1

  event_source_arn                   = var.stream_arn
  function_name                      = aws_lambda_function.handler["kinesis"].arn
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.batching_window_seconds
  parallelization_factor             = var.parallelization_factor
  function_response_types            = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = var.maximum_retry_attempts
  maximum_record_age_in_seconds      = var.maximum_record_age_seconds

  destination_config {
    on_failure {
      destination_arn = var.dead_letter_queue_arn
    }
  }

  tags = var.tags
}

resource "aws_lambda_event_source_mapping" "sqs" {
  event_source_arn                   = var.queue_arn
  function_name                      = aws_lambda_function.handler["sqs"].arn
  batch_size                         = min(var.batch_size, 10000)
  maximum_batching_window_in_seconds = var.batching_window_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.reserved_concurrency
  }

  tags = var.tags
}

# --- optional KCL worker ---------------------------------------------------------------------

resource "aws_dynamodb_table" "kcl_leases" {
  count = var.create_kcl_worker ? 1 : 0

  name                        = var.kcl_lease_table
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "leaseKey"
  deletion_protection_enabled = true

  attribute {
    name = "leaseKey"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "kcl" {
  count = var.create_kcl_worker ? 1 : 0

  name              = "/ecs/${var.name_prefix}/kcl-worker"
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

resource "aws_iam_role" "kcl_execution" {
  count = var.create_kcl_worker ? 1 : 0

  name               = "${var.name_prefix}-kcl-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "kcl_execution" {
  count = var.create_kcl_worker ? 1 : 0

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
    resources = ["${aws_cloudwatch_log_group.kcl[0].arn}:*"]
  }
  statement {
    sid       = "DecryptTheImage"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "kcl_execution" {
  count = var.create_kcl_worker ? 1 : 0

  name   = "start-kcl-task"
  role   = aws_iam_role.kcl_execution[0].id
  policy = data.aws_iam_policy_document.kcl_execution[0].json
}

resource "aws_iam_role" "kcl_task" {
  count = var.create_kcl_worker ? 1 : 0

  name               = "${var.name_prefix}-kcl-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "kcl_task" {
  count = var.create_kcl_worker ? 1 : 0

  statement {
    sid       = "ReadTheStream"
    actions   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:RegisterStreamConsumer"]
    resources = [var.stream_arn]
  }
  statement {
    sid       = "EnhancedFanOutConsumer"
    actions   = ["kinesis:DescribeStreamConsumer", "kinesis:SubscribeToShard"]
    resources = ["${var.stream_arn}/consumer/*"]
  }
  statement {
    sid       = "KeepLeasesAndWorkerState"
    actions   = ["dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:UpdateContinuousBackups"]
    resources = [aws_dynamodb_table.kcl_leases[0].arn, "${aws_dynamodb_table.kcl_leases[0].arn}-*", "${aws_dynamodb_table.kcl_leases[0].arn}/index/*"]
  }
  statement {
    sid       = "LandBronzeAndQuarantine"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = local.bronze_writes
  }
  statement {
    sid       = "LetTheFilesystemClientCheckTheBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_bucket_arn]
  }
  statement {
    sid       = "UseThePlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "DeadLetterBatchesPastTheirAttempts"
    actions   = ["sqs:GetQueueUrl", "sqs:SendMessage"]
    resources = [var.dead_letter_queue_arn]
  }
  statement {
    sid       = "KclMetricsHaveNoResourceLevelPermissions"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.kcl_lease_table]
    }
  }
}

resource "aws_iam_role_policy" "kcl_task" {
  count = var.create_kcl_worker ? 1 : 0

  name   = "consume-stream-with-kcl"
  role   = aws_iam_role.kcl_task[0].id
  policy = data.aws_iam_policy_document.kcl_task[0].json
}

resource "aws_security_group" "kcl" {
  count = var.create_kcl_worker ? 1 : 0

  name        = "${var.name_prefix}-kcl-worker"
  description = "KCL worker: no inbound, HTTPS out to AWS APIs"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_egress_rule" "kcl_https" {
  count = var.create_kcl_worker ? 1 : 0

  security_group_id = aws_security_group.kcl[0].id
  description       = "HTTPS to Kinesis, DynamoDB, S3, ECR and CloudWatch (via NAT or VPC endpoints)"
  cidr_ipv4         = var.aws_api_egress_cidr
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
  tags              = var.tags
}

resource "aws_ecs_task_definition" "kcl" {
  count = var.create_kcl_worker ? 1 : 0

  family                   = "${var.name_prefix}-kcl-worker"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.kcl_cpu
  memory                   = var.kcl_memory
  execution_role_arn       = aws_iam_role.kcl_execution[0].arn
  task_role_arn            = aws_iam_role.kcl_task[0].arn

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = "kcl-worker"
    image                  = var.kcl_image
    essential              = true
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    environment            = [for name, value in merge(var.environment, { KCL_APPLICATION_NAME = var.kcl_lease_table }) : { name = name, value = value }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.kcl[0].name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "kcl"
      }
    }
  }])

  tags = var.tags
}

resource "aws_ecs_service" "kcl" {
  count = var.create_kcl_worker ? 1 : 0

  name            = "${var.name_prefix}-kcl-worker"
  cluster         = var.cluster_arn
  task_definition = aws_ecs_task_definition.kcl[0].arn
  desired_count   = var.kcl_workers
  launch_type     = "FARGATE"
  propagate_tags  = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.kcl[0].id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  tags = var.tags
}
