# Alarms on every way the platform can fall behind or lose work, one SNS topic they all notify,
# and one dashboard showing the path of an event from the API to gold.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-alerts"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "AlarmsAndJobEventsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alert_emails)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

locals {
  alarm_actions = [aws_sns_topic.alerts.arn]

  reconciliation_namespace = "salesflow/${var.name_prefix}"
  reconciliation_metric    = "ReconciliationOverdueStoreDays"

  # What most alarms share: a breach over five one-minute periods; no data is no trouble.
  alarm_defaults = {
    period     = 60
    periods    = 5
    comparison = "GreaterThanThreshold"
    missing    = "notBreaching"
  }

  alarm_definitions = merge(
    {
      stream-iterator-age = {
        description = "Records wait in Kinesis longer than ${var.max_iterator_age_seconds}s: the speed layer is falling behind and the dashboard is stale."
        namespace   = "AWS/Kinesis"
        metric      = "GetRecords.IteratorAgeMilliseconds"
        dimensions  = { StreamName = var.stream_name }
        statistic   = "Maximum"
        threshold   = var.max_iterator_age_seconds * 1000
      }
      dead-letter-queue-depth = {
        description = "Work is parked in the dead-letter queue: inspect it and redrive (docs/deploy.md)."
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = var.dead_letter_queue_name }
        statistic   = "Maximum"
        period      = 300
        periods     = 1
        threshold   = 0
      }
      api-5xx = {
        description = "The ingest API answers 5xx: clients retry, but the stream may be throttled or unreachable."
        namespace   = "AWS/ApplicationELB"
        metric      = "HTTPCode_Target_5XX_Count"
        dimensions  = { LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.target_group_arn_suffix }
        statistic   = "Sum"
        threshold   = var.max_api_5xx_per_minute
      }
      api-latency-p99 = {
        description = "The ingest API's p99 latency is above ${var.max_api_p99_seconds}s."
        namespace   = "AWS/ApplicationELB"
        metric      = "TargetResponseTime"
        dimensions  = { LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.target_group_arn_suffix }
        statistic   = "p99"
        threshold   = var.max_api_p99_seconds
      }
      batch-job-failed = {
        description = "A run of the nightly job failed: gold keeps serving the previous run until a rerun succeeds (docs/deploy.md)."
        namespace   = "AWS/EMRServerless"
        metric      = "FailedJobs"
        dimensions  = { ApplicationId = var.emr_application_id }
        statistic   = "Sum"
        period      = 3600
        periods     = 1
        threshold   = 0
      }
      gold-freshness = {
        description = "No nightly job succeeded in the last day: gold is stale and the real-time view is carrying more than a day."
        namespace   = "AWS/EMRServerless"
        metric      = "SuccessJobs"
        dimensions  = { ApplicationId = var.emr_application_id }
        statistic   = "Sum"
        period      = 86400
        periods     = 1
        threshold   = 1
        comparison  = "LessThanThreshold"
        missing     = "breaching"
      }
      speed-freshness = {
        description = "The Kinesis handler's records are older than ${var.max_iterator_age_seconds}s when it gets them: real-time figures lag."
        namespace   = "AWS/Lambda"
        metric      = "IteratorAge"
        dimensions  = { FunctionName = var.kinesis_function_name }
        statistic   = "Maximum"
        threshold   = var.max_iterator_age_seconds * 1000
      }
    },
    var.serving_log_group_name == "" ? {} : {
      reconciliation-overdue = {
        description = "Store-days whose tills' end-of-day reports still do not match salesflow (or never came) more than the grace period after the day ended: GET /v1/reconciliations lists them and the events to ask the stores to resend (docs/reconciliation.md)."
        namespace   = local.reconciliation_namespace
        metric      = local.reconciliation_metric
        dimensions  = {}
        statistic   = "Maximum"
        period      = 900
        periods     = 1
        threshold   = var.max_overdue_store_days
      }
    },
    {
      for name in var.lambda_function_names : "lambda-errors-${name}" => {
        description = "Lambda ${name} fails: its batches are retried, bisected and finally parked in the dead-letter queue."
        namespace   = "AWS/Lambda"
        metric      = "Errors"
        dimensions  = { FunctionName = name }
        statistic   = "Sum"
        period      = 300
        periods     = 1
        threshold   = 0
      }
    },
  )

  alarms = { for name, alarm in local.alarm_definitions : name => merge(local.alarm_defaults, alarm) }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = contains(["Sum", "Maximum", "Minimum", "Average", "SampleCount"], each.value.statistic) ? each.value.statistic : null
  extended_statistic  = contains(["Sum", "Maximum", "Minimum", "Average", "SampleCount"], each.value.statistic) ? null : each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = each.value.missing
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# Each serving task's periodic reconciliation check logs one JSON line with the overdue store-days
# (serving/reconciliation/checker.py); this filter turns it into the metric the alarm watches.
resource "aws_cloudwatch_log_metric_filter" "reconciliation_overdue" {
  count = var.serving_log_group_name == "" ? 0 : 1

  name           = "${var.name_prefix}-reconciliation-overdue"
  log_group_name = var.serving_log_group_name
  pattern        = "{ $.msg = \"reconciliation checked\" }"

  metric_transformation {
    name      = local.reconciliation_metric
    namespace = local.reconciliation_namespace
    value     = "$.overdue_store_days"
    unit      = "Count"
  }
}

# A failed nightly run is announced at once, not only through the next day's freshness alarm.
resource "aws_cloudwatch_event_rule" "batch_job_failed" {
  name        = "${var.name_prefix}-batch-job-failed"
  description = "An EMR Serverless run of the nightly job failed or was cancelled"
  event_pattern = jsonencode({
    source        = ["aws.emr-serverless"]
    "detail-type" = ["EMR Serverless Job Run State Change"]
    detail = {
      applicationId = [var.emr_application_id]
      state         = ["FAILED", "CANCELLED"]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "batch_job_failed" {
  rule      = aws_cloudwatch_event_rule.batch_job_failed.name
  target_id = "alerts"
  arn       = aws_sns_topic.alerts.arn
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({
    widgets = [
      for index, widget in [
        { title = "API requests and 5xx", metrics = [
          ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.load_balancer_arn_suffix, { stat = "Sum" }],
          ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.load_balancer_arn_suffix, "TargetGroup", var.target_group_arn_suffix, { stat = "Sum" }],
        ] },
        { title = "API latency p50 / p99 (s)", metrics = [
          ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.load_balancer_arn_suffix, "TargetGroup", var.target_group_arn_suffix, { stat = "p50" }],
          ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.load_balancer_arn_suffix, "TargetGroup", var.target_group_arn_suffix, { stat = "p99" }],
        ] },
        { title = "Stream in and iterator age (ms)", metrics = [
          ["AWS/Kinesis", "IncomingRecords", "StreamName", var.stream_name, { stat = "Sum" }],
          ["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", var.stream_name, { stat = "Maximum", yAxis = "right" }],
        ] },
        { title = "Speed-layer errors and DLQ depth", metrics = concat(
          [for name in var.lambda_function_names : ["AWS/Lambda", "Errors", "FunctionName", name, { stat = "Sum" }]],
          [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.dead_letter_queue_name, { stat = "Maximum", yAxis = "right" }]],
        ) },
        { title = "Nightly job runs", metrics = [
          ["AWS/EMRServerless", "SuccessJobs", "ApplicationId", var.emr_application_id, { stat = "Sum" }],
          ["AWS/EMRServerless", "FailedJobs", "ApplicationId", var.emr_application_id, { stat = "Sum" }],
        ] },
        { title = "Athena bytes scanned", metrics = [
          ["AWS/Athena", "ProcessedBytes", "WorkGroup", var.athena_workgroup, { stat = "Sum" }],
        ] },
        ] : {
        type   = "metric"
        x      = (index % 2) * 12
        y      = floor(index / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = widget.title
          region  = data.aws_region.current.name
          metrics = widget.metrics
          view    = "timeSeries"
          period  = 300
        }
      }
    ]
  })
}
