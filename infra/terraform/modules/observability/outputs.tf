output "alerts_topic_arn" {
  description = "SNS topic every alarm notifies; subscribe pagers or chat here."
  value       = aws_sns_topic.alerts.arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the platform."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Every CloudWatch alarm of the platform."
  value       = [for alarm in aws_cloudwatch_metric_alarm.this : alarm.alarm_name]
}
