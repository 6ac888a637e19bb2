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


variable "stream_name" {
  description = "Kinesis stream name (SALESFLOW_STREAM_NAME), from contract/resource_names.json."
  type        = string
}

variable "queue_name" {
  description = "SQS queue name (SALESFLOW_QUEUE_NAME), from contract/resource_names.json."
  type        = string
}

variable "dead_letter_queue_name" {
  description = "Dead-letter queue of the sales queue's messages (SALESFLOW_DEAD_LETTER_QUEUE_NAME), from contract/resource_names.json."
  type        = string
}

variable "kinesis_dead_letter_queue_name" {
  description = "Dead-letter queue of the Kinesis consumers' failed batches (SALESFLOW_KINESIS_DEAD_LETTER_QUEUE_NAME), from contract/resource_names.json."
  type        = string
}

variable "csv_dead_letter_queue_name" {
  description = "Dead-letter queue of the CSV loader's failed S3 events (SALESFLOW_CSV_DEAD_LETTER_QUEUE_NAME), from contract/resource_names.json."
  type        = string
}

variable "stream_mode" {
  description = "Kinesis capacity mode: ON_DEMAND scales by itself, PROVISIONED is cheaper at a steady, known rate."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.stream_mode)
    error_message = "stream_mode must be ON_DEMAND or PROVISIONED."
  }
}

variable "shard_count" {
  description = "Shards when stream_mode is PROVISIONED (each takes 1 MB/s or 1000 records/s in)."
  type        = number
  default     = 2

  validation {
    condition     = var.shard_count >= 1 && var.shard_count <= 500
    error_message = "shard_count must be between 1 and 500."
  }
}

variable "retention_hours" {
  description = "How long the stream and the queue keep an event the speed layer has not landed yet."
  type        = number
  default     = 168

  validation {
    condition     = var.retention_hours >= 24 && var.retention_hours <= 336
    error_message = "retention_hours must be between 24 (Kinesis minimum) and 336 (SQS maximum, 14 days)."
  }
}

variable "queue_visibility_timeout_seconds" {
  description = "SQS visibility timeout; must be at least six times the SQS handler's Lambda timeout."
  type        = number
  default     = 360

  validation {
    condition     = var.queue_visibility_timeout_seconds >= 30 && var.queue_visibility_timeout_seconds <= 43200
    error_message = "queue_visibility_timeout_seconds must be between 30 and 43200."
  }
}

variable "max_receive_count" {
  description = "Deliveries of one SQS message before it moves to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

