# The speed layer in AWS: two Lambda functions (one per stream kind) run the same `land()` the
# local poller runs, fed by event source mappings that report partial batch failures, bisect a
# failing batch, retry a bounded number of times and then park the batch's pointer in the DLQ.
# The KCL worker is the optional alternative for Kinesis, as an ECS service with its lease table.

locals {
  lake_bucket_arn = "arn:aws:s3:::${var.lake_bucket}"
  bronze_writes = [
    "${local.lake_bucket_arn}/bronze/sales_events/*",
    "${local.lake_bucket_arn}/bronze/_quarantine/*",
  ]

  handlers = {
    kinesis = {
      handler   = "speed_layer.lambda_handlers.kinesis_handler"
      summary   = "lands Kinesis records as bronze Parquet"
      read_sid  = "ReadTheStream"
      read_acts = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards", "kinesis:SubscribeToShard"]
      read_arn  = var.stream_arn
      # The mapping's on-failure destination sends a failed batch's pointer with this role.
      dead_letter_arns = [var.dead_letter_queue_arn]
    }
    sqs = {
      handler   = "speed_layer.lambda_handlers.sqs_handler"
      summary   = "lands SQS messages as bronze Parquet"
      read_sid  = "ConsumeTheQueue"
      read_acts = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
      read_arn  = var.queue_arn
      # SQS itself moves a message past max_receive_count to the queue's dead-letter queue.
      dead_letter_arns = []
    }
  }
}

# What every consumer of the stream or queue does with what it read: land it in bronze. Landing
# only writes (tests/integration/infra/test_roles_cover_the_calls.py records it): no listing.
data "aws_iam_policy_document" "land_bronze" {
  statement {
    sid       = "LandBronzeAndQuarantine"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = local.bronze_writes
  }
  statement {
    sid       = "UseThePlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

data "aws_iam_policy_document" "handler" {
  for_each = local.handlers

  source_policy_documents = [data.aws_iam_policy_document.land_bronze.json]

  statement {
    sid       = each.value.read_sid
    actions   = each.value.read_acts
    resources = [each.value.read_arn]
  }
  dynamic "statement" {
    for_each = each.value.dead_letter_arns
    content {
      sid       = "ParkFailedBatchesInTheDeadLetterQueue"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }
}

module "handler" {
  source   = "../lambda_function"
  for_each = local.handlers

  name                 = "${var.name_prefix}-speed-${each.key}"
  description          = "salesflow speed layer: ${each.value.summary}"
  image_uri            = var.lambda_image
  handler              = each.value.handler
  policy_name          = "land-${each.key}-records"
  policy_json          = data.aws_iam_policy_document.handler[each.key].json
  environment          = var.environment
  memory_mb            = var.memory_mb
  timeout_seconds      = var.timeout_seconds
  reserved_concurrency = var.reserved_concurrency
  kms_key_arn          = var.kms_key_arn
  log_retention_days   = var.log_retention_days
  tags                 = var.tags
}

# With the KCL worker on, it is the stream's only consumer: two consumers would land every batch
# twice under different file names.
resource "aws_lambda_event_source_mapping" "kinesis" {
  count = var.create_kcl_worker ? 0 : 1

  event_source_arn                   = var.stream_arn
  function_name                      = module.handler["kinesis"].arn
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
  function_name                      = module.handler["sqs"].arn
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
  deletion_protection_enabled = var.kcl_lease_table_deletion_protection

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

data "aws_iam_policy_document" "kcl_task" {
  count = var.create_kcl_worker ? 1 : 0

  source_policy_documents = [data.aws_iam_policy_document.land_bronze.json]

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

module "kcl_worker" {
  source = "../ecs_service"
  count  = var.create_kcl_worker ? 1 : 0

  name_prefix        = var.name_prefix
  name               = "kcl-worker"
  short_name         = "kcl"
  kms_key_arn        = var.kms_key_arn
  log_retention_days = var.log_retention_days
  image              = var.kcl_image
  repository_arn     = var.service_repository_arn
  environment        = merge(var.environment, { KCL_APPLICATION_NAME = var.kcl_lease_table })
  cpu                = var.kcl_cpu
  memory             = var.kcl_memory
  task_policy_name   = "consume-stream-with-kcl"
  task_policy_json   = data.aws_iam_policy_document.kcl_task[0].json

  vpc_id              = var.vpc_id
  private_subnet_ids  = var.private_subnet_ids
  aws_api_egress_cidr = var.aws_api_egress_cidr
  security_group = {
    name                     = "${var.name_prefix}-kcl-worker"
    description              = "KCL worker: no inbound, HTTPS out to AWS APIs"
    https_egress_description = "HTTPS to Kinesis, DynamoDB, S3, ECR and CloudWatch (via NAT or VPC endpoints)"
  }

  cluster_arn   = var.cluster_arn
  desired_count = var.kcl_workers
  tags          = var.tags
}
