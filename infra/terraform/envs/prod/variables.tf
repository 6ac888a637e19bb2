variable "name_prefix" {
  description = "Prefix of every resource name (SALESFLOW_NAME_PREFIX)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-': the load balancer and target group names (<prefix>-ingest, <prefix>-serving) must fit in AWS's 32 characters."
  }
}


variable "region" {
  description = "AWS region of the whole platform (SALESFLOW_AWS_REGION)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-\\d$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "image_tag" {
  description = "Release tag of the service and Lambda images in ECR and of the job code in the artifacts bucket (e.g. 0.1.0)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{1,128}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be an immutable release tag (letters, digits, '_', '.', '-'), not latest."
  }
}

variable "vpc_id" {
  description = "VPC of the API, the KCL worker and the compaction task."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must look like vpc-0123abcd."
  }
}

variable "public_subnet_ids" {
  description = "Public subnets (two or more zones) of the API's load balancer."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2 && alltrue([for id in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "public_subnet_ids must list subnet-... ids in at least two availability zones: an application load balancer needs two."
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

variable "allowed_cidr_blocks" {
  description = "IPv4 CIDR blocks allowed to call the ingest API (0.0.0.0/0 for shops on the internet)."
  type        = list(string)

  validation {
    condition     = length(var.allowed_cidr_blocks) >= 1 && alltrue([for block in var.allowed_cidr_blocks : can(cidrhost(block, 0))])
    error_message = "allowed_cidr_blocks must list at least one IPv4 CIDR block."
  }
}

variable "certificate_arn" {
  description = "ACM certificate of the ingest API's host name."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "sink" {
  description = "Stream the API publishes to (SALESFLOW_SINK): kinesis or sqs."
  type        = string
  default     = "kinesis"

  validation {
    condition     = contains(["kinesis", "sqs"], var.sink)
    error_message = "sink must be kinesis or sqs (memory loses events and is refused in AWS)."
  }
}

variable "stream_mode" {
  description = "Kinesis capacity mode: ON_DEMAND or PROVISIONED."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.stream_mode)
    error_message = "stream_mode must be ON_DEMAND or PROVISIONED."
  }
}

variable "shard_count" {
  description = "Kinesis shards when stream_mode is PROVISIONED (each takes 1 MB/s or 1000 records/s in)."
  type        = number
  default     = 2

  validation {
    condition     = var.shard_count >= 1 && var.shard_count <= 500
    error_message = "shard_count must be between 1 and 500."
  }
}

variable "stream_retention_hours" {
  description = "Hours the stream and the queue keep events the speed layer has not landed."
  type        = number
  default     = 168

  validation {
    condition     = var.stream_retention_hours >= 24 && var.stream_retention_hours <= 336
    error_message = "stream_retention_hours must be between 24 and 336."
  }
}

variable "speed_batch_size" {
  description = "Records per speed-layer invocation (SALESFLOW_SPEED_BATCH_SIZE)."
  type        = number
  default     = 500

  validation {
    condition     = var.speed_batch_size >= 1 && var.speed_batch_size <= 10000
    error_message = "speed_batch_size must be between 1 and 10000."
  }
}

variable "batch_cutoff_lag_seconds" {
  description = "How far the nightly job's cutoff T lies before its start (SALESFLOW_BATCH_CUTOFF_LAG_SECONDS): more than the speed layer's worst landing delay."
  type        = number
  default     = 300

  validation {
    condition     = var.batch_cutoff_lag_seconds >= 0 && var.batch_cutoff_lag_seconds <= 86400
    error_message = "batch_cutoff_lag_seconds must be between 0 and 86400."
  }
}

variable "bronze_intelligent_tiering" {
  description = "Move compacted bronze to S3 Intelligent-Tiering (no retrieval fee): what nothing read for 30 days is billed at its Infrequent Access rate, after 90 days at Archive Instant Access. The weekly full rebuild reads all of bronze, so it saves only when full rebuilds are rarer than that (SALESFLOW_BATCH_FULL_EVERY_DAYS; docs/cost.md); it costs its monitoring fee, a fraction of a cent per thousand objects."
  type        = bool
  default     = true
}

variable "kinesis_compression" {
  description = "Put each Kinesis record gzip-compressed (SALESFLOW_KINESIS_COMPRESSION): fewer bytes billed into and out of the stream (docs/cost.md). Every salesflow consumer reads both kinds, so it can change at any time; turn it off for a consumer of your own (Firehose, another KCL application), which would otherwise have to inflate the records first."
  type        = bool
  default     = true
}

variable "gold_runs_kept" {
  description = "Complete gold runs the nightly job keeps besides the published one (SALESFLOW_GOLD_RUNS_KEPT): how far back `salesflow batch rollback` can go."
  type        = number
  default     = 7

  validation {
    condition     = var.gold_runs_kept >= 2 && var.gold_runs_kept <= 400
    error_message = "gold_runs_kept must be between 2 and 400."
  }
}

variable "realtime_dedup_days" {
  description = "Days of gold the real-time view looks up for an earlier copy of an event received after the cutoff (SALESFLOW_REALTIME_DEDUP_DAYS, docs/adr/0022): Athena then reads that many days of gold's event ids per dashboard query instead of all history, and a resend of an older event counts twice until the next nightly run. 0 looks up every day (exact, and billed for all of history on every query)."
  type        = number
  default     = 3

  validation {
    condition     = var.realtime_dedup_days >= 0 && var.realtime_dedup_days <= 3660
    error_message = "realtime_dedup_days must be between 0 (every day) and 3660."
  }
}

variable "speed_batching_window_seconds" {
  description = "How long the speed layer's event source mappings gather records before an invocation: each invocation lands one file, so a longer window means fewer S3 PUTs, Lambda invocations and serving reads, and a later dashboard (docs/cost.md)."
  type        = number
  default     = 1

  validation {
    condition     = var.speed_batching_window_seconds >= 1 && var.speed_batching_window_seconds <= 300
    error_message = "speed_batching_window_seconds must be between 1 and 300."
  }
}

variable "serving_engine" {
  description = "What answers the dashboard and query API (SALESFLOW_SERVING_ENGINE, docs/adr/0024): `duckdb` (each serving task keeps the real-time side and gold's sales of the dedup window in a database file it caches in memory, reading each landed file once from S3; no Athena charge per dashboard query) or `athena` (every dashboard query scans bronze since T and the window's gold sales through Athena). Athena keeps the published run's tables and views for analysts either way."
  type        = string
  default     = "duckdb"

  validation {
    condition     = contains(["duckdb", "athena"], var.serving_engine)
    error_message = "serving_engine must be duckdb or athena."
  }
}

variable "serving_refresh_seconds" {
  description = "How often a serving task looks for newly landed files (SALESFLOW_SERVING_REFRESH_SECONDS): the dashboard's delay behind the lake, against the S3 requests each refresh makes per task: a LIST of bronze since T's day and one of the CSV uploads, the publication pointer and a HEAD of each reference table (`python -m bench.serving_s3` counts them)."
  type        = number
  default     = 5

  validation {
    condition     = var.serving_refresh_seconds >= 0.5 && var.serving_refresh_seconds <= 300
    error_message = "serving_refresh_seconds must be between 0.5 and 300."
  }
}

variable "serving_cpu" {
  description = "Fargate CPU units per serving task (256 to 16384). With serving_engine = duckdb the task computes every dashboard answer itself: `salesflow cost` sizes it for a volume."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.serving_cpu)
    error_message = "serving_cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384."
  }
}

variable "serving_memory" {
  description = "Fargate memory per serving task in MiB. With serving_engine = duckdb it caches the engine's database (the real-time lines since T and gold's sales of the dedup window; `salesflow cost` gives the size a volume needs, docs/cost.md), DuckDB getting all but 768 MiB of it; a task short of memory reads its database back from storage, or fails its rebuilds and answers 503."
  type        = number
  default     = 2048

  validation {
    condition     = var.serving_memory >= 512 && var.serving_memory <= 122880
    error_message = "serving_memory must be between 512 and 122880 MiB (Fargate's range for serving_cpu applies)."
  }
}

variable "serving_ephemeral_storage_gib" {
  description = "Task storage of each serving task in GiB (Fargate's 20 when null, at most 200): with serving_engine = duckdb it holds the engine's database file (`salesflow cost` gives the size a volume needs)."
  type        = number
  default     = null

  validation {
    condition     = var.serving_ephemeral_storage_gib == null || try(var.serving_ephemeral_storage_gib >= 21 && var.serving_ephemeral_storage_gib <= 200, false)
    error_message = "serving_ephemeral_storage_gib must be null (20 GiB) or between 21 and 200."
  }
}

variable "create_kcl_worker" {
  description = "Consume Kinesis with the KCL worker on ECS instead of the Lambda event source mapping."
  type        = bool
  default     = false
}

variable "kcl_lease_table_deletion_protection" {
  description = "Protect the KCL worker's DynamoDB lease table from deletion; set false and apply before `terraform destroy`."
  type        = bool
  default     = true
}

variable "api_min_tasks" {
  description = "Fewest ingest API tasks."
  type        = number
  default     = 2

  validation {
    condition     = var.api_min_tasks >= 1
    error_message = "api_min_tasks must be at least 1."
  }
}

variable "api_max_tasks" {
  description = "Most ingest API tasks."
  type        = number
  default     = 10

  validation {
    condition     = var.api_max_tasks >= 1
    error_message = "api_max_tasks must be at least 1."
  }
}

variable "reporting_tz" {
  description = "Reporting time zone of days and hours (SALESFLOW_REPORTING_TZ); the nightly job runs after its midnight."
  type        = string
  default     = "America/Sao_Paulo"

  validation {
    condition     = can(regex("^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$", var.reporting_tz))
    error_message = "reporting_tz must be an IANA time zone name such as America/Sao_Paulo."
  }
}

variable "business_day" {
  description = "Whose calendar a sale's day follows (SALESFLOW_BUSINESS_DAY): reporting (the reporting time zone's, for every store) or store (each store's own time_zone in the stores reference data). Changing it restates gold's sale_date at the next batch run."
  type        = string
  default     = "reporting"

  validation {
    condition     = contains(["reporting", "store"], var.business_day)
    error_message = "business_day must be reporting or store."
  }
}

variable "athena_bytes_scanned_cutoff" {
  description = "Bytes one Athena query may scan before it is cancelled."
  type        = number
  default     = 10737418240

  validation {
    condition     = var.athena_bytes_scanned_cutoff >= 10485760
    error_message = "athena_bytes_scanned_cutoff must be at least 10485760 (10 MB)."
  }
}

variable "glue_catalog_kms_key_arn" {
  description = "KMS key the account's Glue Data Catalog is encrypted with, if it is (empty: not encrypted with a customer key). The serving tasks and the nightly job, which write views and tables, get Encrypt, Decrypt and GenerateDataKey on it."
  type        = string
  default     = ""

  validation {
    condition     = var.glue_catalog_kms_key_arn == "" || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.glue_catalog_kms_key_arn))
    error_message = "glue_catalog_kms_key_arn must be empty or a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; not an alias)."
  }
}

variable "manage_catalog_encryption" {
  description = "Opt in to setting the account-wide Glue Data Catalog encryption (every database of the account and region) to glue_catalog_kms_key_arn, a key this stack does not create: a stack's own key would be deleted with it and take the account's catalog along."
  type        = bool
  default     = false

  validation {
    condition     = !var.manage_catalog_encryption || var.glue_catalog_kms_key_arn != ""
    error_message = "manage_catalog_encryption needs glue_catalog_kms_key_arn: a key that outlives this stack."
  }
}

variable "monthly_budget_usd" {
  description = "Monthly AWS cost (USD) the budget alarm notifies about (forecast above 80 %, actual above 100 %); `salesflow cost` estimates the platform's bill for your volumes."
  type        = number
  default     = 500

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be positive."
  }
}

variable "budget_by_tag" {
  description = "Count only costs tagged NamePrefix=<name_prefix> in the budget (activate NamePrefix as a cost allocation tag in Billing first); false counts the whole account."
  type        = bool
  default     = false
}

variable "alert_emails" {
  description = "Addresses subscribed to the platform's alerts topic (each must confirm by email)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+$", address))])
    error_message = "alert_emails must list e-mail addresses such as oncall@example.com."
  }
}

variable "dashboard_host_name" {
  description = "Host name of the live dashboard and query API on the load balancer (covered by certificate_arn); empty deploys no serving service."
  type        = string
  default     = ""

  validation {
    condition     = var.dashboard_host_name == "" || can(regex("^[a-z0-9.-]+\\.[a-z]{2,}$", var.dashboard_host_name))
    error_message = "dashboard_host_name must be empty or a DNS name such as dashboard.example.com."
  }
}

variable "dashboard_allowed_cidr_blocks" {
  description = "Networks allowed to open the dashboard (1 to 4 IPv4 CIDR blocks); without dashboard_login it has no login, so keep this to office or VPN ranges."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.dashboard_allowed_cidr_blocks) <= 4 && alltrue([for block in var.dashboard_allowed_cidr_blocks : can(cidrhost(block, 0))])
    error_message = "dashboard_allowed_cidr_blocks must hold at most 4 IPv4 CIDR blocks."
  }

  validation {
    condition     = var.dashboard_host_name == "" || length(var.dashboard_allowed_cidr_blocks) >= 1
    error_message = "dashboard_host_name deploys the dashboard, which has no login: name at least one network in dashboard_allowed_cidr_blocks."
  }
}

variable "dashboard_login" {
  description = "A login the load balancer requires before the dashboard and query API, on top of dashboard_allowed_cidr_blocks (docs/deploy.md#a-login-for-the-dashboard): null for none, `oidc` (issuer, authorization_endpoint, token_endpoint, user_info_endpoint, client_id; the secret in dashboard_oidc_client_secret) or `cognito` (user_pool_arn, user_pool_client_id, user_pool_domain)."
  type = object({
    oidc = optional(object({
      issuer                 = string
      authorization_endpoint = string
      token_endpoint         = string
      user_info_endpoint     = string
      client_id              = string
      scope                  = optional(string, "openid email")
    }))
    cognito = optional(object({
      user_pool_arn       = string
      user_pool_client_id = string
      user_pool_domain    = string
      scope               = optional(string, "openid email")
    }))
    session_timeout_seconds = optional(number, 43200)
  })
  default = null

  validation {
    condition     = var.dashboard_login == null ? true : var.dashboard_host_name != ""
    error_message = "dashboard_login protects the dashboard, which only dashboard_host_name deploys."
  }
}

variable "dashboard_oidc_client_secret" {
  description = "The OIDC client's secret for dashboard_login.oidc (e.g. TF_VAR_dashboard_oidc_client_secret); empty otherwise."
  type        = string
  default     = ""
  sensitive   = true
}

variable "api_rate_limit_events_per_second" {
  description = "Events per second each API key may send to one ingest task on average (429 with Retry-After beyond; a batch counts its events); with N tasks a key may send up to N times this. 0 turns the limit off."
  type        = number
  default     = 1000

  validation {
    condition     = var.api_rate_limit_events_per_second >= 0 && var.api_rate_limit_events_per_second <= 1000000
    error_message = "api_rate_limit_events_per_second must be 0 (off) to 1000000."
  }
}

variable "api_deletion_protection" {
  description = "Protect the ingest API's load balancer from deletion; set false and apply before `terraform destroy`."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete non-empty buckets, the Athena workgroup and the customer profile table. For test environments only."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

