output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "arn" {
  description = "ARN of the function, for event source mappings and S3 notifications."
  value       = aws_lambda_function.this.arn
}
