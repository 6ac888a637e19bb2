variable "name_prefix" {
  description = "Prefix of every resource name (SALESFLOW_NAME_PREFIX)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-': the load balancer and target group names (<prefix>-ingest, <prefix>-serving) must fit in AWS's 32 characters."
  }
}


variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts this module's data."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
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

variable "log_retention_days" {
  description = "Days CloudWatch keeps the logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value of at least a year (365, 400, 545, 731, ...)."
  }
}

variable "public_subnet_ids" {
  description = "Subnets of the load balancer (public ones when internal is false), in two or more zones."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2 && alltrue([for id in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "public_subnet_ids must list subnet-... ids in at least two availability zones: an application load balancer needs two."
  }
}

variable "internal" {
  description = "Make the load balancer internal (reachable only from the VPC and its peers)."
  type        = bool
  default     = false
}

variable "allowed_cidr_blocks" {
  description = "IPv4 CIDR blocks allowed to reach the API over HTTPS."
  type        = list(string)

  validation {
    condition     = length(var.allowed_cidr_blocks) >= 1 && alltrue([for block in var.allowed_cidr_blocks : can(cidrhost(block, 0))])
    error_message = "allowed_cidr_blocks must list at least one IPv4 CIDR block."
  }
}

variable "certificate_arn" {
  description = "ACM certificate of the API's host name, served by the HTTPS listener."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion (turn off before `terraform destroy`)."
  type        = bool
  default     = true
}

variable "container_image" {
  description = "Service image (Dockerfile target `service`) with an immutable tag, e.g. <account>.dkr.ecr.<region>.amazonaws.com/salesflow-service:1.2.3."
  type        = string

  validation {
    condition     = length(var.container_image) > 0 && !endswith(var.container_image, ":latest")
    error_message = "container_image must be set and pinned to a version tag, not :latest."
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

variable "container_port" {
  description = "Port the API listens on inside the task (SALESFLOW_INGEST_PORT)."
  type        = number
  default     = 8000
  nullable    = false

  validation {
    condition     = var.container_port == null || try(var.container_port >= 1024 && var.container_port <= 65535, false)
    error_message = "container_port must be an unprivileged port (1024-65535): the container runs as a non-root user."
  }
}

variable "cpu" {
  description = "Fargate CPU units per task (1024 = 1 vCPU). A quarter vCPU answers a few hundred events a second (a POST is well under a millisecond of CPU, `python -m bench.ingest`), far above a small shop's peak; autoscaling adds tasks of this size as traffic grows, so small tasks keep the always-on floor of min_tasks cheap without capping throughput."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384."
  }
}

variable "memory" {
  description = "Fargate memory per task in MiB; must be valid for the chosen cpu. The API holds no data: its process stays near 120 MiB under load (`python -m bench.soak`)."
  type        = number
  default     = 512

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880
    error_message = "memory must be between 512 and 122880 MiB (Fargate's range for the chosen cpu applies)."
  }
}

variable "min_tasks" {
  description = "Fewest API tasks; two or more keep the API up through an availability-zone failure."
  type        = number
  default     = 2

  validation {
    condition     = var.min_tasks >= 1
    error_message = "min_tasks must be at least 1."
  }
}

variable "max_tasks" {
  description = "Most API tasks autoscaling may run."
  type        = number
  default     = 10

  validation {
    condition     = var.max_tasks >= 1 && var.max_tasks <= 1000
    error_message = "max_tasks must be between 1 and 1000."
  }
}

variable "cpu_target_percent" {
  description = "Average CPU utilisation autoscaling holds the service at."
  type        = number
  default     = 60

  validation {
    condition     = var.cpu_target_percent > 10 && var.cpu_target_percent < 95
    error_message = "cpu_target_percent must be between 10 and 95."
  }
}

variable "requests_per_task_target" {
  description = "ALB requests per task per minute autoscaling holds the service at."
  type        = number
  default     = 6000

  validation {
    condition     = var.requests_per_task_target >= 1
    error_message = "requests_per_task_target must be positive."
  }
}

variable "sink" {
  description = "Where the API publishes events (SALESFLOW_SINK): kinesis or sqs."
  type        = string
  default     = "kinesis"

  validation {
    condition     = contains(["kinesis", "sqs"], var.sink)
    error_message = "sink must be kinesis or sqs (memory loses events and is refused in AWS)."
  }
}

variable "rate_limit_events_per_second" {
  description = "Events per second each API key may send to one API task on average (SALESFLOW_RATE_LIMIT_EVENTS_PER_SECOND; a batch counts its events); beyond it 429 with Retry-After. Per task: with N tasks a key may send up to N times this in all. 0 turns the limit off."
  type        = number
  default     = 1000

  validation {
    condition     = var.rate_limit_events_per_second >= 0 && var.rate_limit_events_per_second <= 1000000
    error_message = "rate_limit_events_per_second must be 0 (off) to 1000000."
  }
}

variable "stream_arn" {
  description = "Kinesis stream the API may publish to."
  type        = string
}

variable "queue_arn" {
  description = "SQS queue the API may publish to."
  type        = string
}

variable "lake_bucket" {
  description = "Lake bucket whose reconciliation/reports/ prefix keeps the tills' end-of-day reports (POST /v1/reconciliations)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket))
    error_message = "lake_bucket must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-'."
  }
}

variable "api_keys_secret_name" {
  description = "Secrets Manager secret holding SALESFLOW_API_KEYS, from contract/resource_names.json."
  type        = string
}

variable "environment" {
  description = "SALESFLOW_* settings for the container (the root's salesflow_environment output)."
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

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

