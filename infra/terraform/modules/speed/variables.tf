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

variable "stream_arn" {
  description = "Kinesis stream the Kinesis handler (or the KCL worker) consumes."
  type        = string
}

variable "queue_arn" {
  description = "SQS queue the SQS handler consumes."
  type        = string
}

variable "dead_letter_queue_arn" {
  description = "The Kinesis consumers' dead-letter queue (SALESFLOW_KINESIS_DEAD_LETTER_QUEUE_NAME): the Lambda mapping's pointers and the KCL worker's records of batches past their retries."
  type        = string
}

variable "lake_bucket" {
  description = "Lake bucket the handlers land bronze Parquet into."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket))
    error_message = "lake_bucket must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-'."
  }
}

variable "lambda_image" {
  description = "Lambda image (Dockerfile target `lambda`) with an immutable tag."
  type        = string

  validation {
    condition     = length(var.lambda_image) > 0 && !endswith(var.lambda_image, ":latest")
    error_message = "lambda_image must be set and pinned to a version tag, not :latest."
  }
}

variable "environment" {
  description = "SALESFLOW_* settings for the handlers and the KCL worker (the root's salesflow_environment output)."
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

variable "memory_mb" {
  description = "Memory of each handler; Lambda gives CPU in proportion."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_mb >= 512 && var.memory_mb <= 10240
    error_message = "memory_mb must be between 512 and 10240 (pyarrow needs at least 512)."
  }
}

variable "timeout_seconds" {
  description = "Handler timeout; the SQS queue's visibility timeout must be at least six times this."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout_seconds >= 10 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 10 and 900."
  }
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for (and capping) each handler."
  type        = number
  default     = 20

  validation {
    condition     = var.reserved_concurrency >= 1
    error_message = "reserved_concurrency must be at least 1."
  }

  validation {
    condition     = var.reserved_concurrency >= 2
    error_message = "reserved_concurrency must be at least 2 for the speed handlers: it is also the SQS mapping's maximum concurrency, whose smallest value is 2."
  }
}

variable "batch_size" {
  description = "Most records per invocation (SALESFLOW_SPEED_BATCH_SIZE): larger batches write fewer, bigger Parquet files."
  type        = number
  default     = 500

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }
}

variable "batching_window_seconds" {
  description = "How long a mapping gathers records before invoking (SALESFLOW_SPEED_BATCHING_WINDOW_SECONDS, rounded)."
  type        = number
  default     = 1

  validation {
    condition     = var.batching_window_seconds >= 0 && var.batching_window_seconds <= 300 && (var.batching_window_seconds >= 1 || var.batch_size <= 10)
    error_message = "batching_window_seconds must be between 0 and 300, and at least 1 when batch_size exceeds 10 (an SQS mapping rule)."
  }
}

variable "parallelization_factor" {
  description = "Concurrent batches per Kinesis shard (ordering still holds per partition key)."
  type        = number
  default     = 1

  validation {
    condition     = var.parallelization_factor >= 1 && var.parallelization_factor <= 10
    error_message = "parallelization_factor must be between 1 and 10."
  }
}

variable "maximum_retry_attempts" {
  description = "Retries of a failing Kinesis batch (after bisecting) before its pointer goes to the DLQ."
  type        = number
  default     = 5

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 10000
    error_message = "maximum_retry_attempts must be between 0 and 10000."
  }
}

variable "maximum_record_age_seconds" {
  description = "Age after which a Kinesis record is sent to the DLQ instead of retried; -1 keeps retrying until the stream's retention."
  type        = number
  default     = 86400

  validation {
    condition     = var.maximum_record_age_seconds == -1 || (var.maximum_record_age_seconds >= 60 && var.maximum_record_age_seconds <= 604800)
    error_message = "maximum_record_age_seconds must be -1 or between 60 and 604800."
  }
}

variable "create_kcl_worker" {
  description = "Consume Kinesis with the KCL worker on ECS instead of the Lambda event source mapping."
  type        = bool
  default     = false
}

variable "kcl_lease_table_deletion_protection" {
  description = "Protect the KCL lease table from deletion (set false, and apply, before `terraform destroy`)."
  type        = bool
  default     = true
}

variable "kcl_lease_table" {
  description = "DynamoDB lease table of the KCL worker, from contract/resource_names.json."
  type        = string
}

variable "kcl_image" {
  description = "KCL worker image (Dockerfile target `kcl`: the MultiLangDaemon plus speed_layer.kcl_processor); required when create_kcl_worker is true."
  type        = string
  default     = ""

  validation {
    condition     = !var.create_kcl_worker || (length(var.kcl_image) > 0 && !endswith(var.kcl_image, ":latest"))
    error_message = "Set kcl_image to a version-tagged image when create_kcl_worker is true."
  }
}

variable "service_repository_arn" {
  description = "ECR repository the KCL worker's image is pulled from."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster the KCL worker runs in."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:.+:cluster/.+$", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME)."
  }
}

variable "kcl_workers" {
  description = "KCL worker tasks; leases spread the shards across them."
  type        = number
  default     = 2

  validation {
    condition     = var.kcl_workers >= 1
    error_message = "kcl_workers must be at least 1."
  }
}

variable "kcl_cpu" {
  description = "Fargate CPU units per KCL worker task."
  type        = number
  default     = 1024

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.kcl_cpu)
    error_message = "kcl_cpu must be one of 256, 512, 1024, 2048, 4096."
  }
}

variable "kcl_memory" {
  description = "Fargate memory per KCL worker task in MiB (the KCL runs a JVM beside Python)."
  type        = number
  default     = 2048

  validation {
    condition     = var.kcl_memory >= 1024 && var.kcl_memory <= 30720
    error_message = "kcl_memory must be between 1024 and 30720 MiB."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

