variable "name_prefix" {
  description = "Prefix of every resource name (SALESFLOW_NAME_PREFIX)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-': the load balancer and target group names (<prefix>-ingest, <prefix>-serving) must fit in AWS's 32 characters."
  }
}

variable "name" {
  description = "Name of the container, of the task family and service (<name_prefix>-<name>) and of the log group (/ecs/<name_prefix>/<name>), e.g. ingest-api."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of a-z, 0-9 and '-', starting with a letter."
  }
}

variable "short_name" {
  description = "Short name of the component, e.g. ingest: roles <name_prefix>-<short_name>-execution and -task, the log stream prefix, the target group and scaling policy names."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.short_name))
    error_message = "short_name must be 2-21 characters of a-z, 0-9 and '-', starting with a letter."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the logs, the image and the secrets."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value of at least a year (365, 400, 545, 731, ...)."
  }
}

variable "image" {
  description = "Container image with an immutable tag, e.g. <account>.dkr.ecr.<region>.amazonaws.com/salesflow-service:1.2.3."
  type        = string

  validation {
    condition     = length(var.image) > 0 && !endswith(var.image, ":latest")
    error_message = "image must be set and pinned to a version tag, not :latest."
  }
}

variable "repository_arn" {
  description = "ECR repository the execution role may pull the image from."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecr:", var.repository_arn))
    error_message = "repository_arn must be an ECR repository ARN."
  }
}

variable "command" {
  description = "Command of the container, e.g. [\"salesflow\", \"api\"]; null runs the image's own."
  type        = list(string)
  default     = null

  validation {
    condition     = var.command == null || length(coalesce(var.command, [])) > 0
    error_message = "command must be null or list at least the executable."
  }
}

variable "environment" {
  description = "Environment of the container (the root's salesflow_environment plus the component's own)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name, value in var.environment : can(regex("^[A-Z][A-Z0-9_]*$", name)) && can(regex("^[^\\s]+$", value))])
    error_message = "environment must map upper-case variable names to values without white space: the same settings are the nightly job's spark-submit parameters, which are split at spaces."
  }

  validation {
    condition     = !contains(keys(var.environment), "SALESFLOW_API_KEYS")
    error_message = "environment must hold no secret (SALESFLOW_API_KEYS comes from Secrets Manager): task definitions, function configurations and the nightly job's parameters show it to anyone who may read them."
  }
}

variable "secrets" {
  description = "Environment variables read from Secrets Manager when the task starts (name -> secret ARN); only the execution role may read them."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for arn in values(var.secrets) : can(regex("^arn:aws[a-z-]*:secretsmanager:", arn))])
    error_message = "secrets must map names to Secrets Manager secret ARNs."
  }
}

variable "cpu" {
  description = "Fargate CPU units per task (1024 = 1 vCPU)."
  type        = number

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384."
  }
}

variable "ephemeral_storage_gib" {
  description = "Task storage in GiB, /tmp included (Fargate's 20 when null, at most 200)."
  type        = number
  default     = null

  validation {
    condition     = var.ephemeral_storage_gib == null || try(var.ephemeral_storage_gib >= 21 && var.ephemeral_storage_gib <= 200, false)
    error_message = "ephemeral_storage_gib must be null (20 GiB) or between 21 and 200."
  }
}

variable "memory" {
  description = "Fargate memory per task in MiB; must be valid for the chosen cpu."
  type        = number

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880
    error_message = "memory must be between 512 and 122880 MiB (Fargate's range for the chosen cpu applies)."
  }
}

variable "container_port" {
  description = "Port the container listens on; null for a container nothing connects to."
  type        = number
  default     = null

  validation {
    condition     = var.container_port == null || try(var.container_port >= 1024 && var.container_port <= 65535, false)
    error_message = "container_port must be an unprivileged port (1024-65535): the container runs as a non-root user."
  }
}

variable "task_policy_name" {
  description = "Name of the task role's inline policy, saying what the container does (e.g. publish-sales-events)."
  type        = string

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,128}$", var.task_policy_name))
    error_message = "task_policy_name must be 1-128 characters of letters, digits and +=,.@_-."
  }
}

variable "task_policy_json" {
  description = "What the container itself may do: an aws_iam_policy_document naming the exact resources."
  type        = string
}

variable "vpc_id" {
  description = "VPC the tasks run in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123abcd."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (with a NAT gateway or VPC endpoints) the tasks run in."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1 && alltrue([for id in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "private_subnet_ids must list at least one subnet-... id."
  }
}

variable "aws_api_egress_cidr" {
  description = "Where tasks may open HTTPS connections to reach AWS APIs: 0.0.0.0/0 through NAT, or the VPC CIDR when every API has a VPC endpoint."
  type        = string
  default     = "0.0.0.0/0"

  validation {
    condition     = can(cidrhost(var.aws_api_egress_cidr, 0))
    error_message = "aws_api_egress_cidr must be an IPv4 CIDR block."
  }
}

variable "security_group" {
  description = "Name and description of the tasks' security group and of its HTTPS egress rule (name and description cannot change without replacing the group)."
  type = object({
    name                     = string
    description              = string
    https_egress_description = string
  })
}

variable "create_service" {
  description = "Run the task as an ECS service; false when the caller runs it (e.g. from a schedule)."
  type        = bool
  default     = true
}

variable "cluster_arn" {
  description = "ECS cluster the tasks run in: the service's, or the one the caller's schedule runs the task in (create_service false)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:.+:cluster/.+$", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME)."
  }
}

variable "desired_count" {
  description = "Tasks the service keeps running when it is not autoscaled."
  type        = number
  default     = 1

  validation {
    condition     = var.desired_count >= 1
    error_message = "desired_count must be at least 1."
  }
}

variable "load_balancer" {
  description = "Put the service behind a target group of an application load balancer: its security group (allowed to reach the tasks on container_port), the description of that egress rule, and the health check grace period. Null for no load balancer."
  type = object({
    security_group_id                 = string
    forward_description               = string
    health_check_grace_period_seconds = number
  })
  default = null

  validation {
    condition     = var.load_balancer == null || var.container_port != null
    error_message = "A service behind a load balancer needs a container_port."
  }

  validation {
    condition     = var.load_balancer == null || length("${var.name_prefix}-${var.short_name}") <= 32
    error_message = "Behind a load balancer, <name_prefix>-<short_name> names the target group and must fit in AWS's 32 characters."
  }
}

variable "forwarded_by" {
  description = "ARN of the listener or listener rule forwarding to the target group: the service is created after it, since ECS refuses a target group no load balancer uses."
  type        = string
  default     = null

  validation {
    condition     = (var.forwarded_by == null) == (var.load_balancer == null)
    error_message = "forwarded_by must be set exactly when load_balancer is."
  }
}

variable "autoscaling" {
  description = "Scale the service between min_tasks and max_tasks on average CPU and on load balancer requests per task (the load balancer's ARN suffix names the metric). Null for a fixed desired_count."
  type = object({
    min_tasks                = number
    max_tasks                = number
    cpu_target_percent       = number
    requests_per_task_target = number
    load_balancer_arn_suffix = string
  })
  default = null

  validation {
    condition     = var.autoscaling == null || var.load_balancer != null
    error_message = "autoscaling scales on requests per task, so it needs load_balancer."
  }

  validation {
    condition     = var.autoscaling == null || try(var.autoscaling.min_tasks >= 1 && var.autoscaling.max_tasks >= var.autoscaling.min_tasks, false)
    error_message = "autoscaling needs 1 <= min_tasks <= max_tasks."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
