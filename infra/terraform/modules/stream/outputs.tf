output "stream_name" {
  description = "Kinesis stream name."
  value       = aws_kinesis_stream.this.name
}

output "stream_arn" {
  description = "Kinesis stream ARN."
  value       = aws_kinesis_stream.this.arn
}

output "queue_name" {
  description = "SQS queue name."
  value       = aws_sqs_queue.this.name
}

output "queue_arn" {
  description = "SQS queue ARN."
  value       = aws_sqs_queue.this.arn
}

output "queue_url" {
  description = "SQS queue URL."
  value       = aws_sqs_queue.this.id
}

output "dead_letter_queue_name" {
  description = "Dead-letter queue of the sales queue: messages past max_receive_count."
  value       = aws_sqs_queue.dead_letter.name
}

output "dead_letter_queue_arn" {
  description = "ARN of the sales queue's dead-letter queue."
  value       = aws_sqs_queue.dead_letter.arn
}

output "kinesis_dead_letter_queue_name" {
  description = "Dead-letter queue of the Kinesis consumers: batches past their retries."
  value       = aws_sqs_queue.source_dead_letters["kinesis"].name
}

output "kinesis_dead_letter_queue_arn" {
  description = "ARN of the Kinesis consumers' dead-letter queue (the Lambda mapping's on-failure destination, the KCL worker's)."
  value       = aws_sqs_queue.source_dead_letters["kinesis"].arn
}

output "csv_dead_letter_queue_name" {
  description = "Dead-letter queue of the CSV loader: S3 events whose load kept failing."
  value       = aws_sqs_queue.source_dead_letters["csv"].name
}

output "csv_dead_letter_queue_arn" {
  description = "ARN of the CSV loader's dead-letter queue (the function's asynchronous-invoke DLQ)."
  value       = aws_sqs_queue.source_dead_letters["csv"].arn
}
