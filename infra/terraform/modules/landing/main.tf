# Legacy CSV exports dropped under the landing prefix of the lake bucket start the CSV-loading
# Lambda, which validates them with the contract and writes bronze/csv_uploads (or quarantine).
# A file whose load fails after the async retries is parked, as its S3 event, in the DLQ.

locals {
  lake_bucket_arn = "arn:aws:s3:::${var.lake_bucket}"
  # The CSV loader's own prefixes (contract/lake.py, batch_layer/csv_loader.py): a load stages
  # its parts, moves them into the uploads and the CSV quarantine (a copy, then a delete of the
  # staged part) and writes its record last; each step first looks whether it was done already.
  csv_load_prefixes = ["bronze/_staging/csv/*", "bronze/csv_uploads/*", "bronze/csv_loads/*", "bronze/_quarantine/csv/*"]
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "ReadLandedFilesAndTheirMappings"
    actions   = ["s3:GetObject"]
    resources = ["${local.lake_bucket_arn}/${var.landing_prefix}*", "${local.lake_bucket_arn}/config/mappings/*"]
  }
  statement {
    sid       = "SeeWhatWasLoaded"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = local.csv_load_prefixes
    }
  }
  statement {
    sid       = "LoadExports"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [for prefix in local.csv_load_prefixes : "${local.lake_bucket_arn}/${prefix}"]
  }
  statement {
    sid       = "MoveStagedParts"
    actions   = ["s3:DeleteObject"]
    resources = ["${local.lake_bucket_arn}/bronze/_staging/csv/*"]
  }
  # An export above SALESFLOW_CSV_LAMBDA_MAX_BYTES becomes a request the nightly job serves.
  statement {
    sid       = "HandLargeExportsToTheNightlyJob"
    actions   = ["s3:PutObject"]
    resources = ["${local.lake_bucket_arn}/bronze/csv_pending/*"]
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
}

module "function" {
  source = "../lambda_function"

  name                   = "${var.name_prefix}-csv-loader"
  description            = "salesflow: validates a landed CSV export and writes it to bronze/csv_uploads"
  image_uri              = var.lambda_image
  handler                = "batch_layer.csv_lambda.handler"
  policy_name            = "load-landed-csv"
  policy_json            = data.aws_iam_policy_document.this.json
  environment            = var.environment
  memory_mb              = var.memory_mb
  timeout_seconds        = var.timeout_seconds
  reserved_concurrency   = var.reserved_concurrency
  dead_letter_target_arn = var.dead_letter_queue_arn
  kms_key_arn            = var.kms_key_arn
  log_retention_days     = var.log_retention_days
  tags                   = var.tags
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = module.function.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
}

resource "aws_lambda_permission" "s3" {
  statement_id   = "LandedCsvFromTheLakeBucket"
  action         = "lambda:InvokeFunction"
  function_name  = module.function.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = local.lake_bucket_arn
  source_account = var.account_id
}

resource "aws_s3_bucket_notification" "this" {
  bucket = var.lake_bucket

  lambda_function {
    lambda_function_arn = module.function.arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = var.landing_prefix
    filter_suffix       = ".csv"
  }

  depends_on = [aws_lambda_permission.s3]
}
