output "table_name" {
  description = "Name of the customer profile table."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the customer profile table, for the batch role (write) and the serving role (read)."
  value       = aws_dynamodb_table.this.arn
}
