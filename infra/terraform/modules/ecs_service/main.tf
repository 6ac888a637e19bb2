# One container on Fargate as the platform runs every one: a read-only root file system with a
# writable /tmp, logs in a KMS-encrypted group, an execution role that may only pull its image,
# write its logs and read its secrets, a task role the caller writes, private subnets with HTTPS
# out only. Optionally an ECS service behind a target group of the caller's load balancer, and
# autoscaling; without a service the caller runs the task itself (a schedule's ECS target).

data "aws_region" "current" {}

locals {
  # The task family and the service are <name_prefix>-<name>; the roles take the short name.
  full_name = "${var.name_prefix}-${var.name}"

  # Keys JSON would carry as null are left out: ECS stores a container definition without them.
  optional_container_settings = {
    command      = var.command
    portMappings = var.container_port == null ? null : [{ containerPort = var.container_port, protocol = "tcp" }]
    secrets      = length(var.secrets) == 0 ? null : [for name in sort(keys(var.secrets)) : { name = name, valueFrom = var.secrets[name] }]
  }

  container = merge(
    {
      name                   = var.name
      image                  = var.image
      essential              = true
      readonlyRootFilesystem = true
      mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
      environment            = [for name in sort(keys(var.environment)) : { name = name, value = var.environment[name] }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = var.short_name
        }
      }
    },
    { for key, value in local.optional_container_settings : key => value if value != null },
  )

  service_count    = var.create_service && var.autoscaling == null ? 1 : 0
  autoscaled_count = var.create_service && var.autoscaling != null ? 1 : 0
  service_name     = one(concat(aws_ecs_service.this[*].name, aws_ecs_service.autoscaled[*].name))
  cluster_name     = element(split("/", var.cluster_arn), 1)
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name_prefix}/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# --- IAM: the execution role starts the task, the task role is what the container itself may do --

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrLoginHasNoResourceLevelPermissions"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "PullTheServiceImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [var.repository_arn]
  }
  statement {
    sid       = "WriteContainerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
  dynamic "statement" {
    for_each = length(var.secrets) == 0 ? [] : [sort(values(var.secrets))]
    content {
      sid       = "ReadTheContainerSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }
  statement {
    sid       = "DecryptTheImageAndSecrets"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

module "execution_role" {
  source = "../iam_role"

  name        = "${var.name_prefix}-${var.short_name}-execution"
  service     = "ecs-tasks.amazonaws.com"
  policy_name = "start-${var.short_name}-task"
  policy_json = data.aws_iam_policy_document.execution.json
  tags        = var.tags
}

module "task_role" {
  source = "../iam_role"

  name        = "${var.name_prefix}-${var.short_name}-task"
  service     = "ecs-tasks.amazonaws.com"
  policy_name = var.task_policy_name
  policy_json = var.task_policy_json
  tags        = var.tags
}

# --- task definition ---------------------------------------------------------------------------

resource "aws_ecs_task_definition" "this" {
  family                   = local.full_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = module.execution_role.arn
  task_role_arn            = module.task_role.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "tmp"
  }

  dynamic "ephemeral_storage" {
    for_each = var.ephemeral_storage_gib == null ? [] : [var.ephemeral_storage_gib]
    content {
      size_in_gib = ephemeral_storage.value
    }
  }

  container_definitions = jsonencode([local.container])
  tags                  = var.tags
}

# --- network: HTTPS out to AWS APIs; in only from the load balancer, on the container port ------

resource "aws_security_group" "this" {
  name        = var.security_group.name
  description = var.security_group.description
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = var.security_group.https_egress_description
  cidr_ipv4         = var.aws_api_egress_cidr
  from_port         = 443
  to_port           = 443
  ip_protocol       = "tcp"
  tags              = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "from_load_balancer" {
  count = var.load_balancer == null ? 0 : 1

  security_group_id            = aws_security_group.this.id
  description                  = "Requests from the load balancer"
  referenced_security_group_id = var.load_balancer.security_group_id
  from_port                    = var.container_port
  to_port                      = var.container_port
  ip_protocol                  = "tcp"
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "load_balancer_to_tasks" {
  count = var.load_balancer == null ? 0 : 1

  security_group_id            = var.load_balancer.security_group_id
  description                  = var.load_balancer.forward_description
  referenced_security_group_id = aws_security_group.this.id
  from_port                    = var.container_port
  to_port                      = var.container_port
  ip_protocol                  = "tcp"
  tags                         = var.tags
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; the hop to the task stays inside the VPC, between two security groups that admit only each other.
  count = var.load_balancer == null ? 0 : 1

  name                 = "${var.name_prefix}-${var.short_name}"
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/healthz"
    matcher             = "200"
    interval            = 15
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags
}

# --- service: fixed task count, or autoscaled (then Terraform leaves the count to autoscaling,
# which a lifecycle setting cannot switch by a variable, hence two resources) --------------------

resource "aws_ecs_service" "this" {
  count = local.service_count

  name                              = local.full_name
  cluster                           = var.cluster_arn
  task_definition                   = aws_ecs_task_definition.this.arn
  desired_count                     = var.desired_count
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = try(var.load_balancer.health_check_grace_period_seconds, null)
  propagate_tags                    = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = aws_lb_target_group.this
    content {
      target_group_arn = load_balancer.value.arn
      container_name   = var.name
      container_port   = var.container_port
    }
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  depends_on = [var.forwarded_by]
  tags       = var.tags
}

resource "aws_ecs_service" "autoscaled" {
  count = local.autoscaled_count

  name                              = local.full_name
  cluster                           = var.cluster_arn
  task_definition                   = aws_ecs_task_definition.this.arn
  desired_count                     = var.autoscaling.min_tasks
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = var.load_balancer.health_check_grace_period_seconds
  propagate_tags                    = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this[0].arn
    container_name   = var.name
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [var.forwarded_by]
  tags       = var.tags
}

# --- autoscaling on CPU and on requests per task -----------------------------------------------

resource "aws_appautoscaling_target" "this" {
  count = local.autoscaled_count

  service_namespace  = "ecs"
  resource_id        = "service/${local.cluster_name}/${aws_ecs_service.autoscaled[0].name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.autoscaling.min_tasks
  max_capacity       = var.autoscaling.max_tasks
  tags               = var.tags
}

resource "aws_appautoscaling_policy" "this" {
  for_each = var.autoscaling == null ? {} : {
    cpu = {
      metric = "ECSServiceAverageCPUUtilization"
      target = var.autoscaling.cpu_target_percent
      label  = null
    }
    requests = {
      metric = "ALBRequestCountPerTarget"
      target = var.autoscaling.requests_per_task_target
      label  = "${var.autoscaling.load_balancer_arn_suffix}/${aws_lb_target_group.this[0].arn_suffix}"
    }
  }

  name               = "${var.name_prefix}-${var.short_name}-${each.key}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  resource_id        = aws_appautoscaling_target.this[0].resource_id
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value = each.value.target
    predefined_metric_specification {
      predefined_metric_type = each.value.metric
      resource_label         = each.value.label
    }
  }
}
