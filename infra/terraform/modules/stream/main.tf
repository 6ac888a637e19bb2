# The stream between the ingest API and the speed layer: Kinesis (default) or SQS, both created so
# the sink can be switched by SALESFLOW_SINK alone, both encrypted with the platform key.

resource "aws_kinesis_stream" "this" {
  name             = var.stream_name
  retention_period = var.retention_hours
  shard_count      = var.stream_mode == "PROVISIONED" ? var.shard_count : null
  encryption_type  = "KMS"
  kms_key_id       = var.kms_key_arn

  shard_level_metrics = ["IncomingRecords", "IteratorAgeMilliseconds", "WriteProvisionedThroughputExceeded"]

  stream_mode_details {
    stream_mode = var.stream_mode
  }

  tags = var.tags
}

# One dead-letter queue per source, because each parks something else and is redriven its own way
# (docs/operations.md): the sales queue's messages (SQS moves them back), the Kinesis consumers'
# failed batches (the Lambda mapping's pointers, the KCL worker's records: `salesflow redrive
# kinesis` lands them from the stream) and the CSV loader's failed S3 events (`salesflow load-csv
# --dead-letters`). All keep a message for SQS's longest, 14 days.
resource "aws_sqs_queue" "dead_letter" {
  name                      = var.dead_letter_queue_name
  message_retention_seconds = 1209600
  kms_master_key_id         = var.kms_key_arn
  tags                      = var.tags
}

resource "aws_sqs_queue" "source_dead_letters" {
  for_each = {
    kinesis = var.kinesis_dead_letter_queue_name
    csv     = var.csv_dead_letter_queue_name
  }

  name                      = each.value
  message_retention_seconds = 1209600
  kms_master_key_id         = var.kms_key_arn
  tags                      = var.tags
}

resource "aws_sqs_queue" "this" {
  name                       = var.queue_name
  visibility_timeout_seconds = var.queue_visibility_timeout_seconds
  message_retention_seconds  = var.retention_hours * 3600
  kms_master_key_id          = var.kms_key_arn

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn
    maxReceiveCount     = var.max_receive_count
  })

  tags = var.tags
}

resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}

locals {
  queues = merge(
    { queue = aws_sqs_queue.this, dead_letter = aws_sqs_queue.dead_letter },
    { for source, queue in aws_sqs_queue.source_dead_letters : "${source}_dead_letter" => queue },
  )
}

data "aws_iam_policy_document" "tls_only" {
  for_each = { for key, queue in local.queues : key => queue.arn }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "tls_only" {
  for_each = { for key, queue in local.queues : key => queue.id }

  queue_url = each.value
  policy    = data.aws_iam_policy_document.tls_only[each.key].json
}
