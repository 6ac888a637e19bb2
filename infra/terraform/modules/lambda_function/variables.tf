variable "name" {
  description = "Name of the function, of its role and of its log group (/aws/lambda/<name>)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits, '-' and '_'."
  }
}

variable "description" {
  description = "What the function does, shown in the Lambda console."
  type        = string

  validation {
    condition     = length(var.description) >= 10 && length(var.description) <= 256
    error_message = "description must say what the function does in 10-256 characters."
  }
}

variable "image_uri" {
  description = "Lambda image (Dockerfile target `lambda`) with an immutable tag."
  type        = string

  validation {
    condition     = length(var.image_uri) > 0 && !endswith(var.image_uri, ":latest")
    error_message = "image_uri must be set and pinned to a version tag, not :latest."
  }
}

variable "handler" {
  description = "Handler the image runs, as a dotted path (e.g. speed_layer.lambda_handlers.sqs_handler)."
  type        = string

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)+$", var.handler))
    error_message = "handler must be a dotted module path ending in the handler function."
  }
}

variable "policy_name" {
  description = "Name of the role's inline policy, saying what the function does (e.g. load-landed-csv)."
  type        = string

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,128}$", var.policy_name))
    error_message = "policy_name must be 1-128 characters of letters, digits and +=,.@_-."
  }
}

variable "policy_json" {
  description = "What the function may do besides writing its logs and traces: an aws_iam_policy_document naming the exact resources."
  type        = string
}

variable "environment" {
  description = "Environment of the function (the root's salesflow_environment output)."
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
  description = "Memory of the function; Lambda gives CPU in proportion."
  type        = number

  validation {
    condition     = var.memory_mb >= 512 && var.memory_mb <= 10240
    error_message = "memory_mb must be between 512 and 10240 (pyarrow needs at least 512)."
  }
}

variable "timeout_seconds" {
  description = "Timeout of one invocation."
  type        = number

  validation {
    condition     = var.timeout_seconds >= 10 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 10 and 900."
  }
}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for (and capping) the function."
  type        = number

  validation {
    condition     = var.reserved_concurrency >= 1
    error_message = "reserved_concurrency must be at least 1."
  }
}

variable "dead_letter_target_arn" {
  description = "SQS queue receiving the events of asynchronous invocations that kept failing; null for a function invoked only by event source mappings, whose failures the mapping handles."
  type        = string
  default     = null

  validation {
    condition     = var.dead_letter_target_arn == null || can(regex("^arn:aws[a-z-]*:sqs:", var.dead_letter_target_arn))
    error_message = "dead_letter_target_arn must be an SQS queue ARN or null."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the environment and the logs."
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

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
