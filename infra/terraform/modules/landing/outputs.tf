output "function_name" {
  description = "The CSV-loading Lambda function."
  value       = module.function.function_name
}

output "landing_uri" {
  description = "Where to drop legacy CSV exports."
  value       = "s3://${var.lake_bucket}/${var.landing_prefix}"
}
