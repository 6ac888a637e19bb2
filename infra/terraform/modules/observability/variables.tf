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


variable "alert_emails" {
  description = "Addresses subscribed to the alerts topic (each must confirm by email)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+$", address))])
    error_message = "alert_emails must list e-mail addresses such as oncall@example.com."
  }
}

variable "stream_name" {
  description = "Kinesis stream watched for iterator age."
  type        = string
}

variable "dead_letter_queue_name" {
  description = "Dead-letter queue watched for depth."
  type        = string
}

variable "kinesis_dead_letter_queue_name" {
  description = "The Kinesis consumers' dead-letter queue, watched for depth."
  type        = string
}

variable "csv_dead_letter_queue_name" {
  description = "The CSV loader's dead-letter queue, watched for depth."
  type        = string
}

variable "queue_name" {
  description = "The sales queue, watched for the age of its oldest message."
  type        = string
}

variable "max_queue_age_seconds" {
  description = "Oldest a sales queue message may get before the backlog alarm fires."
  type        = number
  default     = 300

  validation {
    condition     = var.max_queue_age_seconds >= 60
    error_message = "max_queue_age_seconds must be at least 60."
  }
}

variable "schedule_group_name" {
  description = "EventBridge Scheduler group of the platform's schedules (nightly job, compaction), watched for target errors and dropped invocations."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster the compaction task runs in."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:.+:cluster/.+$", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME)."
  }
}

variable "compaction_task_family" {
  description = "Task definition family of the hourly compaction, watched for failed runs."
  type        = string
}

variable "watch_serving" {
  description = "Whether the dashboard's serving tasks are deployed (known at plan time), so their 5xx and healthy hosts are watched."
  type        = bool
  default     = false
}

variable "serving_target_group_arn_suffix" {
  description = "ARN suffix of the serving tasks' target group (with watch_serving)."
  type        = string
  default     = ""
}

variable "monthly_budget_usd" {
  description = "Monthly AWS cost (USD) the budget notifies about: forecast above 80 %, actual above 100 %. `salesflow cost` estimates the platform's bill."
  type        = number
  default     = 500

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be positive."
  }
}

variable "budget_by_tag" {
  description = "Count only the costs tagged NamePrefix=<name_prefix> (activate NamePrefix as a cost allocation tag in Billing first); false counts the whole account."
  type        = bool
  default     = false
}

variable "load_balancer_arn_suffix" {
  description = "ARN suffix of the ingest API's load balancer."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the ingest API's target group."
  type        = string
}

variable "kinesis_function_name" {
  description = "Lambda function consuming Kinesis, watched for iterator age."
  type        = string
}

variable "lambda_function_names" {
  description = "Lambda functions watched for errors."
  type        = list(string)
}

variable "emr_application_id" {
  description = "EMR Serverless application of the nightly job."
  type        = string
}

variable "athena_workgroup" {
  description = "Athena workgroup shown on the dashboard."
  type        = string
}

variable "max_iterator_age_seconds" {
  description = "Oldest a record may be when the speed layer reads it before the freshness alarms fire."
  type        = number
  default     = 60

  validation {
    condition     = var.max_iterator_age_seconds >= 1
    error_message = "max_iterator_age_seconds must be positive."
  }
}

variable "max_api_5xx_per_minute" {
  description = "5xx answers per minute (for five minutes) the API may give before the alarm fires."
  type        = number
  default     = 5

  validation {
    condition     = var.max_api_5xx_per_minute >= 0
    error_message = "max_api_5xx_per_minute must not be negative."
  }
}

variable "max_api_p99_seconds" {
  description = "p99 latency of the API (seconds) above which the alarm fires."
  type        = number
  default     = 0.5

  validation {
    condition     = var.max_api_p99_seconds > 0
    error_message = "max_api_p99_seconds must be positive."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "serving_log_group_name" {
  description = "Log group of the serving tasks, whose reconciliation check logs the overdue store-days; empty (no serving tasks) makes no reconciliation alarm."
  type        = string
  default     = ""
}

variable "max_overdue_store_days" {
  description = "Store-days allowed to stay unmatched (a gap, or no end-of-day report) past SALESFLOW_RECONCILIATION_GRACE_HOURS before the reconciliation alarm fires."
  type        = number
  default     = 0

  validation {
    condition     = var.max_overdue_store_days >= 0
    error_message = "max_overdue_store_days must be 0 or more."
  }
}
