# Legacy CSV exports dropped under the landing prefix of the lake bucket start the CSV-loading
# Lambda, which validates them with the contract and writes bronze/csv_uploads (or quarantine).
# A file whose load fails after the async retries is parked, as its S3 event, in the DLQ.

locals {
  lake_bucket_arn = "arn:aws:s3:::${var.lake_bucket}"
  function_name   = "${var.name_prefix}-csv-loader"
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = local.function_name
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "ReadLandedFiles"
    actions   = ["s3:GetObject"]
    resources = ["${local.lake_bucket_arn}/${var.landing_prefix}*"]
  }
  statement {
    sid       = "SkipFilesAlreadyLoaded"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["bronze/csv_uploads/*"]
    }
  }
  statement {
    sid       = "WriteCsvUploadsAndQuarantine"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${local.lake_bucket_arn}/bronze/csv_uploads/*", "${local.lake_bucket_arn}/bronze/_quarantine/*"]
  }
  statement {
    sid       = "ParkFailedFiles"
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
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
  statement {
    sid       = "XRayHasNoResourceLevelPermissions"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "load-landed-csv"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The loader reaches only S3 and SQS; a VPC would add NAT cost and no isolation.
  #checkov:skip=CKV_AWS_272:Code signing applies to .zip packages; this function runs an immutable ECR image.
  function_name                  = local.function_name
  description                    = "salesflow: validates a landed CSV export and writes it to bronze/csv_uploads"
  role                           = aws_iam_role.this.arn
  package_type                   = "Image"
  image_uri                      = var.lambda_image
  architectures                  = ["x86_64"]
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  image_config {
    command = ["batch_layer.csv_lambda.handler"]
  }

  environment {
    variables = var.environment
  }

  dead_letter_config {
    target_arn = var.dead_letter_queue_arn
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  depends_on = [aws_iam_role_policy.this]
  tags       = var.tags
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
}

resource "aws_lambda_permission" "s3" {
  statement_id   = "LandedCsvFromTheLakeBucket"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = local.lake_bucket_arn
  source_account = var.account_id
}

resource "aws_s3_bucket_notification" "this" {
  bucket = var.lake_bucket

  lambda_function {
    lambda_function_arn = aws_lambda_function.this.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = var.landing_prefix
    filter_suffix       = ".csv"
  }

  depends_on = [aws_lambda_permission.s3]
}
