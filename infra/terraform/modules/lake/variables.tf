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


variable "lake_bucket" {
  description = "Lake bucket name (SALESFLOW_LAKE_BUCKET), from contract/resource_names.json."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket))
    error_message = "lake_bucket must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-'."
  }
}

variable "athena_results_bucket" {
  description = "Athena results bucket name (SALESFLOW_ATHENA_RESULTS_BUCKET), from contract/resource_names.json."
  type        = string
}

variable "artifacts_bucket" {
  description = "Bucket holding the Spark job's code and dependencies for EMR Serverless."
  type        = string
}

variable "quarantine_retention_days" {
  description = "Days a quarantined record (bronze/_quarantine/) is kept for inspection before it expires."
  type        = number
  default     = 90

  validation {
    condition     = var.quarantine_retention_days >= 7
    error_message = "quarantine_retention_days must be at least 7 so someone can look at a rejected record."
  }
}

variable "athena_results_retention_days" {
  description = "Days Athena query results are kept."
  type        = number
  default     = 7

  validation {
    condition     = var.athena_results_retention_days >= 1
    error_message = "athena_results_retention_days must be at least 1."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days an overwritten or deleted object version is kept for recovery."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_retention_days >= 1
    error_message = "noncurrent_version_retention_days must be at least 1."
  }
}

variable "bronze_intelligent_tiering" {
  description = "Move compacted bronze objects (above 128 KiB) to S3 Intelligent-Tiering, which tiers down what nothing read for 30 and 90 days and has no retrieval fee."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete non-empty buckets. Keep false in production."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

