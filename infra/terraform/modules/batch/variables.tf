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

variable "lake_bucket" {
  description = "Lake bucket the job reads bronze from and writes silver and gold to."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket))
    error_message = "lake_bucket must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-'."
  }
}

variable "athena_results_bucket" {
  description = "Athena results bucket: the workgroup writes the result files of the job's view statements there."
  type        = string
}

variable "glue_database" {
  description = "Glue database whose published tables and views the job moves to each run (SALESFLOW_GLUE_DATABASE)."
  type        = string
}

variable "athena_workgroup_arn" {
  description = "ARN of the Athena workgroup the job re-creates the views in (SALESFLOW_ATHENA_WORKGROUP)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:athena:", var.athena_workgroup_arn))
    error_message = "athena_workgroup_arn must be an Athena workgroup ARN."
  }
}

variable "profile_table_arn" {
  description = "ARN of the DynamoDB table of customer profiles (the customer_profiles module): the job loads each published run's profiles into it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:", var.profile_table_arn))
    error_message = "profile_table_arn must be a DynamoDB table ARN."
  }
}

variable "artifacts_bucket" {
  description = "Bucket holding the job's code (entrypoint.py, pyspark_env.tar.gz) and its logs."
  type        = string
}

variable "artifacts_prefix" {
  description = "Key prefix of the job code in the artifacts bucket, one per release (e.g. batch/1.2.3)."
  type        = string
  default     = "batch/current"

  validation {
    condition     = !startswith(var.artifacts_prefix, "/") && !endswith(var.artifacts_prefix, "/")
    error_message = "artifacts_prefix must not start or end with '/'."
  }
}

variable "emr_release_label" {
  description = "EMR release of the Serverless application; its Spark must be 3.5 like the job's pyspark."
  type        = string
  default     = "emr-7.5.0"

  validation {
    condition     = can(regex("^emr-7\\.", var.emr_release_label))
    error_message = "emr_release_label must be an emr-7.x release (Spark 3.5)."
  }
}

variable "max_vcpu" {
  description = "Most vCPUs the application may use at once (a cost cap)."
  type        = number
  default     = 32

  validation {
    condition     = var.max_vcpu >= 4
    error_message = "max_vcpu must be at least 4 (one driver and one executor)."
  }
}

variable "max_memory_gb" {
  description = "Most memory (GB) the application may use at once."
  type        = number
  default     = 128

  validation {
    condition     = var.max_memory_gb >= 16
    error_message = "max_memory_gb must be at least 16."
  }
}

variable "nightly_schedule" {
  description = "When the nightly job runs, in schedule_timezone."
  type        = string
  default     = "cron(30 2 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.nightly_schedule))
    error_message = "nightly_schedule must be a cron(...) or rate(...) expression."
  }
}

variable "schedule_timezone" {
  description = "Time zone of the nightly schedule (SALESFLOW_REPORTING_TZ): the job runs after the reporting day closes."
  type        = string
  default     = "America/Sao_Paulo"
}

variable "compaction_schedule" {
  description = "When compaction of the bronze hours runs (UTC): it merges what has landed so far in the open hours too, so dashboard queries read a few files per hour instead of one per landed batch."
  type        = string
  default     = "rate(10 minutes)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.compaction_schedule))
    error_message = "compaction_schedule must be a cron(...) or rate(...) expression."
  }
}

variable "cluster_arn" {
  description = "ECS cluster the compaction task runs in."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:.+:cluster/.+$", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME)."
  }
}

variable "service_image" {
  description = "Service image (Dockerfile target `service`) the compaction task runs."
  type        = string
}

variable "service_repository_arn" {
  description = "ECR repository of the service image."
  type        = string
}

variable "environment" {
  description = "SALESFLOW_* settings of the nightly job's driver and the compaction task (the root's salesflow_environment output, the map the serving tasks get too)."
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

  validation {
    condition     = alltrue([for name in keys(var.environment) : startswith(name, "SALESFLOW_")])
    error_message = "environment must hold only SALESFLOW_* settings here: they become the Spark driver's environment, whose PYSPARK_* variables this module sets itself."
  }
}

variable "glue_catalog_kms_key_arn" {
  description = "KMS key the account's Glue Data Catalog is encrypted with, if it is (empty: not encrypted with a customer key): writing views and tables needs Encrypt, Decrypt and GenerateDataKey on it."
  type        = string
  default     = ""

  validation {
    condition     = var.glue_catalog_kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.glue_catalog_kms_key_arn))
    error_message = "glue_catalog_kms_key_arn must be empty or a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; not an alias)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

