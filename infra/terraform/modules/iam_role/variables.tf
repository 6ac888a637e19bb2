variable "name" {
  description = "Name of the role, e.g. <name_prefix>-batch-job."
  type        = string

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "service" {
  description = "Service principal that assumes the role, e.g. lambda.amazonaws.com."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+\\.amazonaws\\.com$", var.service))
    error_message = "service must be a service principal such as ecs-tasks.amazonaws.com."
  }
}

variable "source_account" {
  description = "Account the service must act for (aws:SourceAccount), against the confused deputy; null for services that act only for this account's own resources."
  type        = string
  default     = null

  validation {
    condition     = var.source_account == null || can(regex("^\\d{12}$", var.source_account))
    error_message = "source_account must be 12 digits or null."
  }
}

variable "policy_name" {
  description = "Name of the role's inline policy, saying what the role is for (e.g. build-gold)."
  type        = string

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,128}$", var.policy_name))
    error_message = "policy_name must be 1-128 characters of letters, digits and +=,.@_-."
  }
}

variable "policy_json" {
  description = "The inline policy: an aws_iam_policy_document naming the exact resources the role may use."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
