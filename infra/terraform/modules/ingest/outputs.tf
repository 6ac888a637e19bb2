output "api_url" {
  description = "Base URL of the ingest API (point a DNS name at the load balancer for the certificate to match)."
  value       = "https://${aws_lb.this.dns_name}"
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer, for the CNAME or alias record of the API's host name."
  value       = aws_lb.this.dns_name
}

output "load_balancer_arn_suffix" {
  description = "ARN suffix of the load balancer, for CloudWatch metrics."
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group, for CloudWatch metrics."
  value       = module.service.target_group_arn_suffix
}

output "cluster_arn" {
  description = "ECS cluster the platform's services and scheduled tasks run in."
  value       = aws_ecs_cluster.this.arn
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "ECS service of the ingest API."
  value       = module.service.service_name
}

output "api_keys_secret_arn" {
  description = "Secret holding SALESFLOW_API_KEYS; put the value with `aws secretsmanager put-secret-value`."
  value       = aws_secretsmanager_secret.api_keys.arn
}

output "https_listener_arn" {
  description = "HTTPS listener, for host-based rules of other services on the same load balancer."
  value       = aws_lb_listener.https.arn
}

output "load_balancer_security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.alb.id
}
