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

variable "host_name" {
  description = "Host name of the dashboard and query API on the shared load balancer (the listener's certificate must cover it)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+\\.[a-z]{2,}$", var.host_name))
    error_message = "host_name must be a DNS name such as dashboard.example.com."
  }
}

variable "allowed_cidr_blocks" {
  description = "IPv4 CIDR blocks allowed to open the dashboard and query API (with `login`, also its login page); at most 4."
  type        = list(string)

  validation {
    condition     = length(var.allowed_cidr_blocks) >= 1 && alltrue([for block in var.allowed_cidr_blocks : can(cidrhost(block, 0))])
    error_message = "allowed_cidr_blocks must list at least one IPv4 CIDR block."
  }

  validation {
    condition     = length(var.allowed_cidr_blocks) <= 4
    error_message = "allowed_cidr_blocks must list at most 4 CIDR blocks for the dashboard: a listener rule takes 5 condition values, one is the host name."
  }
}

variable "login" {
  description = "A login the load balancer requires before the dashboard and query API, on top of allowed_cidr_blocks: null for none, `oidc` (any OpenID Connect provider: issuer and endpoints, client id; the secret is oidc_client_secret) or `cognito` (a user pool's ARN, app client id and domain). Browsers are sent to the provider; a client without the session cookie cannot query."
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
    condition     = var.login == null ? true : (var.login.oidc == null) != (var.login.cognito == null)
    error_message = "login takes exactly one of oidc or cognito (or is null for no login)."
  }

  validation {
    condition     = try(var.login.oidc, null) == null ? true : alltrue([for url in [var.login.oidc.issuer, var.login.oidc.authorization_endpoint, var.login.oidc.token_endpoint, var.login.oidc.user_info_endpoint] : startswith(url, "https://")])
    error_message = "login.oidc's issuer and endpoints must be https:// URLs."
  }

  validation {
    condition     = try(var.login.cognito, null) == null ? true : can(regex("^arn:aws[a-z-]*:cognito-idp:", var.login.cognito.user_pool_arn))
    error_message = "login.cognito.user_pool_arn must be a Cognito user pool ARN."
  }

  validation {
    condition     = var.login == null ? true : var.login.session_timeout_seconds >= 60 && var.login.session_timeout_seconds <= 604800
    error_message = "login.session_timeout_seconds must be 60 to 604800 (7 days)."
  }
}

variable "login_egress_cidr" {
  description = "Where the load balancer may open HTTPS connections to the identity provider of `login` (its token and user-info endpoints); the internet by default."
  type        = string
  default     = "0.0.0.0/0"

  validation {
    condition     = can(cidrhost(var.login_egress_cidr, 0))
    error_message = "login_egress_cidr must be an IPv4 CIDR block."
  }
}

variable "oidc_client_secret" {
  description = "The OIDC client's secret, for login.oidc (kept out of the login object so it stays sensitive); empty otherwise."
  type        = string
  default     = ""
  sensitive   = true

  validation {
    condition     = var.oidc_client_secret == "" || length(var.oidc_client_secret) >= 8
    error_message = "oidc_client_secret must be empty or the client's secret."
  }
}

variable "listener_arn" {
  description = "HTTPS listener of the ingest load balancer the dashboard is routed through."
  type        = string
}

variable "alb_security_group_id" {
  description = "Security group of that load balancer."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster the serving tasks run in."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:.+:cluster/.+$", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME)."
  }
}

variable "container_image" {
  description = "Service image (Dockerfile target `service`) with an immutable tag."
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
  description = "Port the query API listens on inside the task (SALESFLOW_SERVE_PORT)."
  type        = number
  default     = 8080
  nullable    = false

  validation {
    condition     = var.container_port == null || try(var.container_port >= 1024 && var.container_port <= 65535, false)
    error_message = "container_port must be an unprivileged port (1024-65535): the container runs as a non-root user."
  }
}

variable "cpu" {
  description = "Fargate CPU units per task."
  type        = number
  default     = 512

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
  description = "Fargate memory per task in MiB."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880
    error_message = "memory must be between 512 and 122880 MiB (Fargate's range for the chosen cpu applies)."
  }
}

variable "tasks" {
  description = "Serving tasks; each caches query results for SALESFLOW_SERVING_CACHE_SECONDS."
  type        = number
  default     = 1

  validation {
    condition     = var.tasks >= 1
    error_message = "tasks must be at least 1."
  }
}

variable "lake_bucket" {
  description = "Lake bucket holding the published run pointer and the tables."
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

variable "glue_database" {
  description = "Glue database of the tables and serving views."
  type        = string
}

variable "athena_workgroup_arn" {
  description = "ARN of the Athena workgroup the queries run in (SALESFLOW_ATHENA_WORKGROUP)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:athena:", var.athena_workgroup_arn))
    error_message = "athena_workgroup_arn must be an Athena workgroup ARN."
  }
}

variable "profile_table_arn" {
  description = "ARN of the DynamoDB table of customer profiles (the customer_profiles module): the query API looks profiles up in it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:", var.profile_table_arn))
    error_message = "profile_table_arn must be a DynamoDB table ARN."
  }
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

