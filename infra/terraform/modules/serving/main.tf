# The query API and live dashboard (`salesflow serve`) as an ECS service, reached through the
# ingest API's load balancer by its own host name and only from the allowed networks, optionally
# behind a login the load balancer requires (`login`: OIDC or Cognito). It reads the published run
# and bronze with the engine SALESFLOW_SERVING_ENGINE names (docs/adr/0024): DuckDB in the task,
# reading the lake's files from S3, or Athena, whose workgroup, catalog and results bucket it may
# then use; customer profiles come from DynamoDB either way.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  environment = merge(var.environment, {
    SALESFLOW_SERVE_HOST = "0.0.0.0"
    SALESFLOW_SERVE_PORT = tostring(var.container_port)
    # The one name the listener rule forwards; /healthz answers the health checks' target IP.
    SALESFLOW_ALLOWED_HOSTS = var.host_name
  })
  lake_bucket_arn   = "arn:aws:s3:::${var.lake_bucket}"
  results_arn       = "arn:aws:s3:::${var.athena_results_bucket}"
  glue_catalog_arn  = "arn:aws:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:catalog"
  glue_database_arn = "arn:aws:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:database/${var.glue_database}"
  glue_tables_arn   = "arn:aws:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:table/${var.glue_database}/*"
  # Only an Athena engine queries the workgroup and moves the catalog; DuckDB reads the lake.
  queries_athena = lookup(var.environment, "SALESFLOW_SERVING_ENGINE", "duckdb") == "athena"
  # The catalog's key matters only to an engine that writes the catalog.
  glue_catalog_key = local.queries_athena ? var.glue_catalog_kms_key_arn : ""
}

data "aws_iam_policy_document" "task" {
  dynamic "statement" {
    for_each = local.queries_athena ? [var.athena_workgroup_arn] : []
    content {
      sid       = "QueryInTheWorkgroup"
      actions   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution"]
      resources = [statement.value]
    }
  }
  dynamic "statement" {
    for_each = local.queries_athena ? [var.glue_database] : []
    content {
      sid       = "KeepTablesAndViewsOnThePublishedRun"
      actions   = ["glue:GetDatabase", "glue:CreateDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable", "glue:GetPartitions"]
      resources = [local.glue_catalog_arn, local.glue_database_arn, local.glue_tables_arn]
    }
  }
  statement {
    sid       = "ListTheLake"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.lake_bucket_arn]
  }
  dynamic "statement" {
    for_each = local.queries_athena ? [local.results_arn] : []
    content {
      sid       = "ListQueryResults"
      actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
      resources = [statement.value]
    }
  }
  statement {
    sid       = "ReadTheLake"
    actions   = ["s3:GetObject"]
    resources = ["${local.lake_bucket_arn}/*"]
  }
  statement {
    sid       = "RecordReconciliationResults"
    actions   = ["s3:PutObject"]
    resources = ["${local.lake_bucket_arn}/reconciliation/results/*"]
  }
  dynamic "statement" {
    for_each = local.queries_athena ? [local.results_arn] : []
    content {
      sid       = "WriteAndReadQueryResults"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
      resources = ["${statement.value}/*"]
    }
  }
  statement {
    sid       = "LookUpCustomerProfiles"
    actions   = ["dynamodb:GetItem"]
    resources = [var.profile_table_arn]
  }
  statement {
    sid       = "UseThePlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
  # In an account whose Glue Data Catalog is encrypted, creating views and updating tables
  # (through Athena too) encrypts catalog objects with the caller's rights on the catalog's key.
  dynamic "statement" {
    for_each = local.glue_catalog_key == "" ? [] : [local.glue_catalog_key]
    content {
      sid       = "WriteTheEncryptedCatalog"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

module "service" {
  source = "../ecs_service"

  name_prefix           = var.name_prefix
  name                  = "serving"
  short_name            = "serving"
  kms_key_arn           = var.kms_key_arn
  log_retention_days    = var.log_retention_days
  image                 = var.container_image
  repository_arn        = var.repository_arn
  command               = ["salesflow", "serve"]
  environment           = local.environment
  cpu                   = var.cpu
  memory                = var.memory
  ephemeral_storage_gib = var.ephemeral_storage_gib
  container_port        = var.container_port
  task_policy_name      = "query-the-lake"
  task_policy_json      = data.aws_iam_policy_document.task.json

  vpc_id              = var.vpc_id
  private_subnet_ids  = var.private_subnet_ids
  aws_api_egress_cidr = var.aws_api_egress_cidr
  security_group = {
    name                     = "${var.name_prefix}-serving-task"
    description              = "Serving tasks: requests from the ALB, HTTPS out to Athena, Glue and S3"
    https_egress_description = "HTTPS to Athena, Glue, S3, ECR and CloudWatch (via NAT or VPC endpoints)"
  }

  cluster_arn   = var.cluster_arn
  desired_count = var.tasks
  load_balancer = {
    security_group_id                 = var.alb_security_group_id
    forward_description               = "Forward dashboard requests to the serving tasks"
    health_check_grace_period_seconds = 60
  }
  forwarded_by = aws_lb_listener_rule.this.arn
  tags         = var.tags
}

# The load balancer itself calls the identity provider's token and user-info endpoints.
resource "aws_vpc_security_group_egress_rule" "login" {
  count = var.login == null ? 0 : 1

  security_group_id = var.alb_security_group_id
  description       = "HTTPS from the load balancer to the dashboard's identity provider"
  cidr_ipv4         = var.login_egress_cidr
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
  tags              = var.tags
}

resource "aws_lb_listener_rule" "this" {
  listener_arn = var.listener_arn
  priority     = 10

  condition {
    host_header {
      values = [var.host_name]
    }
  }

  condition {
    source_ip {
      values = var.allowed_cidr_blocks
    }
  }

  # With a login, the load balancer authenticates first (OIDC or Cognito) and forwards only a
  # request with a valid session; the tasks never see an unauthenticated one.
  dynamic "action" {
    for_each = try(var.login.oidc, null) == null ? [] : [var.login.oidc]

    content {
      type  = "authenticate-oidc"
      order = 1

      authenticate_oidc {
        issuer                     = action.value.issuer
        authorization_endpoint     = action.value.authorization_endpoint
        token_endpoint             = action.value.token_endpoint
        user_info_endpoint         = action.value.user_info_endpoint
        client_id                  = action.value.client_id
        client_secret              = var.oidc_client_secret
        scope                      = action.value.scope
        session_timeout            = var.login.session_timeout_seconds
        on_unauthenticated_request = "authenticate"
      }
    }
  }

  dynamic "action" {
    for_each = try(var.login.cognito, null) == null ? [] : [var.login.cognito]

    content {
      type  = "authenticate-cognito"
      order = 1

      authenticate_cognito {
        user_pool_arn              = action.value.user_pool_arn
        user_pool_client_id        = action.value.user_pool_client_id
        user_pool_domain           = action.value.user_pool_domain
        scope                      = action.value.scope
        session_timeout            = var.login.session_timeout_seconds
        on_unauthenticated_request = "authenticate"
      }
    }
  }

  action {
    type             = "forward"
    order            = var.login == null ? 1 : 2
    target_group_arn = module.service.target_group_arn
  }

  tags = var.tags
}
