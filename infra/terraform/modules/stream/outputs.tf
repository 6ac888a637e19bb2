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
  description = "Dead-letter queue name."
  value       = aws_sqs_queue.dead_letter.name
}

output "dead_letter_queue_arn" {
  description = "Dead-letter queue ARN: SQS messages past max_receive_count and Kinesis batches past their retries land here."
  value       = aws_sqs_queue.dead_letter.arn
}
