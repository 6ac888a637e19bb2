output "service_repository_url" {
  description = "ECR repository of the service image (ingest API, KCL worker, compaction)."
  value       = aws_ecr_repository.this["service"].repository_url
}

output "lambda_repository_url" {
  description = "ECR repository of the Lambda image (speed-layer handlers, CSV loader)."
  value       = aws_ecr_repository.this["lambda"].repository_url
}

output "service_repository_arn" {
  description = "ARN of the service image repository, for the execution roles that pull it."
  value       = aws_ecr_repository.this["service"].arn
}

output "lambda_repository_arn" {
  description = "ARN of the Lambda image repository."
  value       = aws_ecr_repository.this["lambda"].arn
}
