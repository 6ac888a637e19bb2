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


variable "glue_database" {
  description = "Glue database name (SALESFLOW_GLUE_DATABASE), from contract/resource_names.json."
  type        = string
}

variable "athena_workgroup" {
  description = "Athena workgroup name (SALESFLOW_ATHENA_WORKGROUP), from contract/resource_names.json."
  type        = string
}

variable "lake_bucket" {
  description = "Lake bucket the tables point into."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket))
    error_message = "lake_bucket must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-'."
  }
}

variable "athena_results_bucket" {
  description = "Bucket Athena writes query results to."
  type        = string
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Athena cancels a query of this workgroup once it has scanned this many bytes (cost guard)."
  type        = number
  default     = 10737418240

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760
    error_message = "bytes_scanned_cutoff_per_query must be at least 10485760 (10 MB, Athena's minimum)."
  }
}

variable "manage_catalog_encryption" {
  description = "Set the account-wide Glue Data Catalog encryption (one setting per account and region, for every database) to glue_catalog_kms_key_arn. Opt-in: leave false when another stack owns it."
  type        = bool
  default     = false

  validation {
    condition     = !var.manage_catalog_encryption || var.glue_catalog_kms_key_arn != ""
    error_message = "manage_catalog_encryption needs glue_catalog_kms_key_arn: a key that outlives this stack."
  }
}

variable "glue_catalog_kms_key_arn" {
  description = "KMS key the account's Glue Data Catalog is encrypted with, if it is (empty: not encrypted with a customer key); with manage_catalog_encryption, the key of the account-wide catalog encryption: one that outlives this stack, never the platform key, whose deletion with the stack would leave the account's catalog unreadable."
  type        = string
  default     = ""

  validation {
    condition     = var.glue_catalog_kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.glue_catalog_kms_key_arn))
    error_message = "glue_catalog_kms_key_arn must be empty or a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; not an alias)."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete the workgroup with its saved queries. Keep false in production."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

