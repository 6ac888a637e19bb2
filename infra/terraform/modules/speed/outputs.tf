output "kinesis_function_name" {
  description = "Lambda function consuming the Kinesis stream."
  value       = module.handler["kinesis"].function_name
}

output "sqs_function_name" {
  description = "Lambda function consuming the SQS queue."
  value       = module.handler["sqs"].function_name
}

output "kcl_lease_table" {
  description = "DynamoDB lease table of the KCL worker, or null when the worker is off."
  value       = one(aws_dynamodb_table.kcl_leases[*].name)
}

output "kcl_service_name" {
  description = "ECS service of the KCL worker, or null when the worker is off."
  value       = one(module.kcl_worker[*].service_name)
}
