output "dashboard_url" {
  description = "URL of the live dashboard (point the host name's DNS record at the load balancer)."
  value       = "https://${var.host_name}/"
}

output "service_name" {
  description = "ECS service of the query API and dashboard."
  value       = module.service.service_name
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the serving target group, for CloudWatch metrics."
  value       = module.service.target_group_arn_suffix
}

output "log_group_name" {
  description = "Log group of the serving tasks: their reconciliation check logs the overdue store-days there."
  value       = module.service.log_group_name
}
