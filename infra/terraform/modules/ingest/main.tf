# The ingest API (FastAPI) on ECS Fargate in private subnets, behind an internet-facing ALB that
# speaks only HTTPS, scaled on CPU and on requests per task. API key hashes come from Secrets
# Manager; nothing secret is in the task definition.

locals {
  environment = merge(var.environment, {
    SALESFLOW_ENV         = "aws"
    SALESFLOW_SINK        = var.sink
    SALESFLOW_INGEST_HOST = "0.0.0.0"
    SALESFLOW_INGEST_PORT = tostring(var.container_port)
    # A token bucket per API key in each task (docs/ingest_api.md#rate-limits).
    SALESFLOW_RATE_LIMIT_EVENTS_PER_SECOND = tostring(var.rate_limit_events_per_second)
  })
}

resource "aws_ecs_cluster" "this" {
  name = var.name_prefix

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = var.tags
}

resource "aws_secretsmanager_secret" "api_keys" {
  #checkov:skip=CKV2_AWS_57:The secret holds SHA-256 hashes of client keys; rotating means issuing new keys to shops, an operator procedure (docs/deploy.md), not a Lambda.
  name        = var.api_keys_secret_name
  description = "SALESFLOW_API_KEYS: comma-separated name:sha256hex of every client API key"
  kms_key_id  = var.kms_key_arn
  tags        = var.tags
}

# --- the API's task role may only publish events and keep the tills' end-of-day reports ----------

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "PublishToTheStream"
    actions   = ["kinesis:PutRecords", "kinesis:DescribeStreamSummary"]
    resources = [var.stream_arn]
  }
  statement {
    sid       = "PublishToTheQueue"
    actions   = ["sqs:SendMessage", "sqs:GetQueueUrl"]
    resources = [var.queue_arn]
  }
  statement {
    sid       = "ListTheReconciliationReports"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${var.lake_bucket}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["reconciliation/reports/*"]
    }
  }
  statement {
    sid       = "KeepTheReconciliationReports"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:aws:s3:::${var.lake_bucket}/reconciliation/reports/*"]
  }
  statement {
    sid       = "EncryptRecords"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

module "service" {
  source = "../ecs_service"

  name_prefix        = var.name_prefix
  name               = "ingest-api"
  short_name         = "ingest"
  kms_key_arn        = var.kms_key_arn
  log_retention_days = var.log_retention_days
  image              = var.container_image
  repository_arn     = var.repository_arn
  command            = ["salesflow", "api"]
  environment        = local.environment
  secrets            = { SALESFLOW_API_KEYS = aws_secretsmanager_secret.api_keys.arn }
  cpu                = var.cpu
  memory             = var.memory
  container_port     = var.container_port
  task_policy_name   = "publish-sales-events"
  task_policy_json   = data.aws_iam_policy_document.task.json

  vpc_id              = var.vpc_id
  private_subnet_ids  = var.private_subnet_ids
  aws_api_egress_cidr = var.aws_api_egress_cidr
  security_group = {
    name                     = "${var.name_prefix}-ingest-task"
    description              = "Ingest API tasks: requests from the ALB, HTTPS out to AWS APIs"
    https_egress_description = "HTTPS to Kinesis, SQS, ECR, Secrets Manager and CloudWatch (via NAT or VPC endpoints)"
  }

  cluster_arn = aws_ecs_cluster.this.arn
  load_balancer = {
    security_group_id                 = aws_security_group.alb.id
    forward_description               = "Forward requests to the API tasks"
    health_check_grace_period_seconds = 30
  }
  forwarded_by = aws_lb_listener.https.arn
  autoscaling = {
    min_tasks                = var.min_tasks
    max_tasks                = var.max_tasks
    cpu_target_percent       = var.cpu_target_percent
    requests_per_task_target = var.requests_per_task_target
    load_balancer_arn_suffix = aws_lb.this.arn_suffix
  }
  tags = var.tags
}

# --- load balancer: HTTPS only, so an API key is never accepted over plain HTTP ---------------

resource "aws_security_group" "alb" {
  name        = "${var.name_prefix}-ingest-alb"
  description = "HTTPS from clients to the ingest API load balancer"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each = toset(var.allowed_cidr_blocks)

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from shops and POS terminals"
  cidr_ipv4         = each.value
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
  tags              = var.tags
}

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_91:ALB access logs need an SSE-S3 bucket outside the platform key, which the stack does not create. Who sent what is kept elsewhere: every accepted event in bronze with its key's name and ingested_at, every refused request as a structured log line with its request id, requests by outcome in the API's metrics. Enable with an access-log bucket where required.
  #checkov:skip=CKV2_AWS_28:WAF is an account-level choice with its own cost and is not attached: the API authenticates every event request, caps body sizes and rate-limits each key, and the listener answers the operational routes 404. Associate a web ACL to the ALB where required.
  name                       = "${var.name_prefix}-ingest"
  load_balancer_type         = "application"
  internal                   = var.internal
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  tags                       = var.tags
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = module.service.target_group_arn
  }

  tags = var.tags
}

# --- what the load balancer never forwards: the operational routes, answered 404 by the listener
# /metrics, /readyz, /docs and /openapi.json of every service behind this listener (the serving
# tasks' rule sits at a later priority) are for the VPC: the target groups' health checks call
# the tasks directly, and /healthz stays reachable. An ALB rule takes at most three values per
# condition, hence one rule per group.

locals {
  unexposed_paths = {
    api_docs   = ["/docs", "/docs/*", "/redoc"]
    operations = ["/metrics", "/metrics/*", "/readyz"]
    schema     = ["/openapi.json"]
  }
}

resource "aws_lb_listener_rule" "unexposed" {
  for_each = local.unexposed_paths

  listener_arn = aws_lb_listener.https.arn
  priority     = index(sort(keys(local.unexposed_paths)), each.key) + 1

  condition {
    path_pattern {
      values = each.value
    }
  }

  action {
    type = "fixed-response"

    fixed_response {
      content_type = "application/json"
      message_body = jsonencode({ error = "not_found", message = "no such route on this address" })
      status_code  = "404"
    }
  }

  tags = var.tags
}
