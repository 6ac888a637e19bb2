# One Lambda function from the platform's container image, as every function here runs: its own
# role (what the caller allows, plus writing its logs and X-Ray traces), a KMS-encrypted log group
# with JSON logs, environment encrypted with the platform key, active tracing, reserved concurrency.

data "aws_iam_policy_document" "this" {
  source_policy_documents = [var.policy_json]

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

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

module "role" {
  source = "../iam_role"

  name        = var.name
  service     = "lambda.amazonaws.com"
  policy_name = var.policy_name
  policy_json = data.aws_iam_policy_document.this.json
  tags        = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:A function DLQ covers asynchronous invokes only and is the dead_letter_target_arn input: the S3-invoked CSV loader sets it; the stream handlers, invoked by event source mappings, park failures through the mapping's on-failure destination (Kinesis) or the queue's redrive policy (SQS).
  #checkov:skip=CKV_AWS_117:The functions reach only AWS APIs (streams, queues, S3); a VPC would add NAT cost and no isolation.
  #checkov:skip=CKV_AWS_272:Code signing applies to .zip packages; these functions run an immutable ECR image.
  function_name                  = var.name
  description                    = var.description
  role                           = module.role.arn
  package_type                   = "Image"
  image_uri                      = var.image_uri
  architectures                  = ["x86_64"]
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  image_config {
    command = [var.handler]
  }

  environment {
    variables = var.environment
  }

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_target_arn == null ? [] : [var.dead_letter_target_arn]
    content {
      target_arn = dead_letter_config.value
    }
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  # The role's policy must be in place before the first invocation writes a log line.
  depends_on = [module.role]
  tags       = var.tags
}
