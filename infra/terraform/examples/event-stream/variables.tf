variable "region" {
  description = "AWS region to create the example in."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-\\d$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name, as SALESFLOW_NAME_PREFIX would be."
  type        = string
  default     = "sf-example"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-': the load balancer and target group names (<prefix>-ingest, <prefix>-serving) must fit in AWS's 32 characters."
  }
}

variable "tags" {
  description = "Tags added to every resource of the example."
  type        = map(string)
  default     = { project = "salesflow", example = "true" }
}
