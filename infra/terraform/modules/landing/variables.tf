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


variable "account_id" {
  description = "AWS account owning the lake bucket; only its bucket may invoke the loader."
  type        = string

  validation {
    condition     = can(regex("^\\d{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "lake_bucket" {
  description = "Lake bucket receiving the CSV exports."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket))
    error_message = "lake_bucket must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-'."
  }
}

variable "landing_prefix" {
  description = "Key prefix under which a new .csv object starts the loader."
  type        = string
  default     = "landing/csv/"

  validation {
    condition     = endswith(var.landing_prefix, "/") && !startswith(var.landing_prefix, "bronze/")
    error_message = "landing_prefix must end with '/' and lie outside bronze/ (the loader writes there)."
  }
}

variable "dead_letter_queue_arn" {
  description = "The CSV loader's dead-letter queue (SALESFLOW_CSV_DEAD_LETTER_QUEUE_NAME): the S3 events of files whose load kept failing."
  type        = string
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
  description = "SALESFLOW_* settings for the loader (the root's salesflow_environment output)."
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
  description = "Memory of the loader; a CSV export is read whole."
  type        = number
  default     = 2048

  validation {
    condition     = var.memory_mb >= 512 && var.memory_mb <= 10240
    error_message = "memory_mb must be between 512 and 10240 (pyarrow needs at least 512)."
  }
}

variable "timeout_seconds" {
  description = "Loader timeout."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout_seconds >= 10 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 10 and 900."
  }
}

variable "reserved_concurrency" {
  description = "Concurrent loads reserved for (and capping) the loader."
  type        = number
  default     = 5

  validation {
    condition     = var.reserved_concurrency >= 1
    error_message = "reserved_concurrency must be at least 1."
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

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

