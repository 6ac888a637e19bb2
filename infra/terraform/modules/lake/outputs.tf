output "lake_bucket" {
  description = "Lake bucket name."
  value       = aws_s3_bucket.this["lake"].bucket
}

output "lake_bucket_arn" {
  description = "Lake bucket ARN."
  value       = aws_s3_bucket.this["lake"].arn
}

output "athena_results_bucket" {
  description = "Athena results bucket name."
  value       = aws_s3_bucket.this["athena_results"].bucket
}

output "athena_results_bucket_arn" {
  description = "Athena results bucket ARN."
  value       = aws_s3_bucket.this["athena_results"].arn
}

output "artifacts_bucket" {
  description = "Artifacts bucket name."
  value       = aws_s3_bucket.this["artifacts"].bucket
}

output "artifacts_bucket_arn" {
  description = "Artifacts bucket ARN."
  value       = aws_s3_bucket.this["artifacts"].arn
}

output "loader_policy_arn" {
  description = "Managed policy to attach to whoever loads reference data and CSV history (salesflow reference load, salesflow load-csv)."
  value       = aws_iam_policy.loader.arn
}
