output "stream_name" {
  description = "The Kinesis stream to give SALESFLOW_STREAM_NAME."
  value       = module.stream.stream_name
}

output "queue_url" {
  description = "The SQS queue the sqs sink writes to."
  value       = module.stream.queue_url
}
