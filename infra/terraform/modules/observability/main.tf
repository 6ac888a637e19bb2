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
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"]
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

  # What alarms on counts share: anything at all within five minutes is worth a look.
  any_in_five_minutes = {
    period    = 300
    periods   = 1
    threshold = 0
  }

  # A dead-letter queue holding anything: each description names the redrive that empties it.
  dead_letter_queues = {
    dead-letter-queue-depth = {
      queue       = var.dead_letter_queue_name
      description = "Sales queue messages were delivered max_receive_count times without landing and sit in the SQS dead-letter queue: fix the cause, then `salesflow redrive sqs` (docs/operations.md#dead-letter-queue-depth)."
    }
    kinesis-dead-letter-queue-depth = {
      queue       = var.kinesis_dead_letter_queue_name
      description = "Kinesis batches exhausted their retries and their pointers (or records) sit in the Kinesis dead-letter queue: fix the cause, then `salesflow redrive kinesis` within the stream's retention (docs/operations.md#kinesis-dead-letter-queue-depth)."
    }
    csv-dead-letter-queue-depth = {
      queue       = var.csv_dead_letter_queue_name
      description = "Landed CSV exports failed to load after the Lambda's retries; their S3 events sit in the CSV dead-letter queue: fix the cause, then `salesflow load-csv --dead-letters` (docs/operations.md#csv-dead-letter-queue-depth)."
    }
  }

  alarm_definitions = merge(
    {
      for name, queue in local.dead_letter_queues : name => merge(local.any_in_five_minutes, {
        description = queue.description
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = queue.queue }
        statistic   = "Maximum"
      })
    },
    {
      stream-iterator-age = {
        description = "Records wait in Kinesis longer than ${var.max_iterator_age_seconds}s: the speed layer is falling behind and the dashboard is stale (docs/operations.md#stream-iterator-age)."
        namespace   = "AWS/Kinesis"
        metric      = "GetRecords.IteratorAgeMilliseconds"
        dimensions  = { StreamName = var.stream_name }
        statistic   = "Maximum"
        threshold   = var.max_iterator_age_seconds * 1000
      }
      sqs-backlog-age = {
        description = "The oldest message on the sales queue is older than ${var.max_queue_age_seconds}s: the SQS consumer is failing or falling behind (docs/operations.md#sqs-backlog-age)."
        namespace   = "AWS/SQS"
        metric      = "ApproximateAgeOfOldestMessage"
        dimensions  = { QueueName = var.queue_name }
        statistic   = "Maximum"
        threshold   = var.max_queue_age_seconds
      }
      scheduler-target-errors = merge(local.any_in_five_minutes, {
        description = "A schedule of the platform (nightly job, hourly compaction) could not start its target: EMR or ECS refused the call (docs/operations.md#scheduler-target-errors)."
        namespace   = "AWS/Scheduler"
        metric      = "TargetErrorCount"
        dimensions  = { ScheduleGroup = var.schedule_group_name }
        statistic   = "Sum"
      })
      scheduler-dropped-invocations = merge(local.any_in_five_minutes, {
        description = "A schedule of the platform gave up on an invocation after its retries: a nightly run or a compaction did not happen (docs/operations.md#scheduler-dropped-invocations)."
        namespace   = "AWS/Scheduler"
        metric      = "InvocationDroppedCount"
        dimensions  = { ScheduleGroup = var.schedule_group_name }
        statistic   = "Sum"
      })
      api-5xx = {
        description = "The ingest API answers 5xx: clients retry, but the stream may be throttled or unreachable (docs/operations.md#api-5xx)."
        namespace   = "AWS/ApplicationELB"
        metric      = "HTTPCode_Target_5XX_Count"
        dimensions  = { LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.target_group_arn_suffix }
        statistic   = "Sum"
        threshold   = var.max_api_5xx_per_minute
      }
      api-latency-p99 = {
        description = "The ingest API's p99 latency is above ${var.max_api_p99_seconds}s (docs/operations.md#api-latency-p99)."
        namespace   = "AWS/ApplicationELB"
        metric      = "TargetResponseTime"
        dimensions  = { LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.target_group_arn_suffix }
        statistic   = "p99"
        threshold   = var.max_api_p99_seconds
      }
      batch-job-failed = {
        description = "A run of the nightly job failed: gold keeps serving the previous run until a rerun succeeds (docs/operations.md#batch-job-failed)."
        namespace   = "AWS/EMRServerless"
        metric      = "FailedJobs"
        dimensions  = { ApplicationId = var.emr_application_id }
        statistic   = "Sum"
        period      = 3600
        periods     = 1
        threshold   = 0
      }
      # Hourly sums of successful runs, alarming when 26 in a row have none. Hours without data
      # (before the application existed, or while it is stopped, if EMR publishes nothing then)
      # are not breaching, so a fresh deployment is not in alarm before its first night; the
      # scheduler alarms catch a nightly run that never started.
      gold-freshness = {
        description = "No nightly run succeeded in 26 hours: gold is stale and the real-time view carries more than a day (docs/operations.md#gold-freshness)."
        namespace   = "AWS/EMRServerless"
        metric      = "SuccessJobs"
        dimensions  = { ApplicationId = var.emr_application_id }
        statistic   = "Sum"
        period      = 3600
        periods     = 26
        threshold   = 1
        comparison  = "LessThanThreshold"
      }
      speed-freshness = {
        description = "The Kinesis handler's records are older than ${var.max_iterator_age_seconds}s when it gets them: real-time figures lag (docs/operations.md#speed-freshness)."
        namespace   = "AWS/Lambda"
        metric      = "IteratorAge"
        dimensions  = { FunctionName = var.kinesis_function_name }
        statistic   = "Maximum"
        threshold   = var.max_iterator_age_seconds * 1000
      }
    },
    var.watch_serving ? {
      serving-5xx = {
        description = "The query API and dashboard answer 5xx: Athena queries fail or time out (docs/operations.md#serving-5xx)."
        namespace   = "AWS/ApplicationELB"
        metric      = "HTTPCode_Target_5XX_Count"
        dimensions  = { LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.serving_target_group_arn_suffix }
        statistic   = "Sum"
        threshold   = var.max_api_5xx_per_minute
        # Both alarms of this conditional map carry the same keys, so it has one type.
        comparison = "GreaterThanThreshold"
        missing    = "notBreaching"
      }
      serving-unhealthy = {
        description = "No healthy serving task behind the load balancer: the dashboard is down (docs/operations.md#serving-unhealthy)."
        namespace   = "AWS/ApplicationELB"
        metric      = "HealthyHostCount"
        dimensions  = { LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.serving_target_group_arn_suffix }
        statistic   = "Minimum"
        threshold   = 1
        comparison  = "LessThanThreshold"
        missing     = "breaching"
      }
    } : {},
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
      for name in var.lambda_function_names : "lambda-errors-${name}" => merge(local.any_in_five_minutes, {
        description = "Lambda ${name} fails: its batches are retried, bisected and finally parked in its source's dead-letter queue (docs/operations.md#lambda-errors)."
        namespace   = "AWS/Lambda"
        metric      = "Errors"
        dimensions  = { FunctionName = name }
        statistic   = "Sum"
      })
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
  datapoints_to_alarm = each.value.periods
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

# The monthly bill against a budget (`salesflow cost` estimates it): forecast above 80 % and
# actual above 100 % notify the alerts topic.
resource "aws_budgets_budget" "monthly" {
  name         = "${var.name_prefix}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  dynamic "cost_filter" {
    for_each = var.budget_by_tag ? [var.name_prefix] : []
    content {
      name   = "TagKeyValue"
      values = [format("user:NamePrefix$%s", cost_filter.value)]
    }
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 80
    threshold_type            = "PERCENTAGE"
    notification_type         = "FORECASTED"
    subscriber_sns_topic_arns = [aws_sns_topic.alerts.arn]
  }

  notification {
    comparison_operator       = "GREATER_THAN"
    threshold                 = 100
    threshold_type            = "PERCENTAGE"
    notification_type         = "ACTUAL"
    subscriber_sns_topic_arns = [aws_sns_topic.alerts.arn]
  }

  tags       = var.tags
  depends_on = [aws_sns_topic_policy.alerts]
}

# A compaction task that stopped with an error is announced at once: its hour keeps its small
# files (and costs queries more) until a later run succeeds.
resource "aws_cloudwatch_event_rule" "compaction_failed" {
  name        = "${var.name_prefix}-compaction-failed"
  description = "An hourly compaction task stopped with a non-zero exit code"
  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn = [var.cluster_arn]
      group      = ["family:${var.compaction_task_family}"]
      lastStatus = ["STOPPED"]
      containers = { exitCode = [{ "anything-but" = 0 }] }
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "compaction_failed" {
  rule      = aws_cloudwatch_event_rule.compaction_failed.name
  target_id = "alerts"
  arn       = aws_sns_topic.alerts.arn
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
          [for queue in [var.dead_letter_queue_name, var.kinesis_dead_letter_queue_name, var.csv_dead_letter_queue_name] : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue, { stat = "Maximum", yAxis = "right" }]],
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
