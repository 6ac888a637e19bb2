output "dashboard_url" {
  description = "URL of the live dashboard (point the host name's DNS record at the load balancer)."
  value       = "https://${var.host_name}/"
}

output "service_name" {
  description = "ECS service of the query API and dashboard."
  value       = aws_ecs_service.this.name
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the serving target group, for CloudWatch metrics."
  value       = aws_lb_target_group.this.arn_suffix
}
