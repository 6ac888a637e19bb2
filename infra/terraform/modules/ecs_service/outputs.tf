output "task_definition_arn" {
  description = "Task definition (with its revision), for a schedule's ECS target."
  value       = aws_ecs_task_definition.this.arn
}

output "task_definition_family" {
  description = "Family of the task definition, for permissions on every revision."
  value       = aws_ecs_task_definition.this.family
}

output "execution_role_arn" {
  description = "Execution role of the task, for whoever must pass it when running the task."
  value       = module.execution_role.arn
}

output "task_role_arn" {
  description = "Task role of the task, for whoever must pass it when running the task."
  value       = module.task_role.arn
}

output "security_group_id" {
  description = "Security group of the tasks."
  value       = aws_security_group.this.id
}

output "service_name" {
  description = "ECS service, or null without create_service."
  value       = local.service_name
}

output "target_group_arn" {
  description = "Target group of the service, for the listener or rule forwarding to it; null without load_balancer."
  value       = one(aws_lb_target_group.this[*].arn)
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group, for CloudWatch metrics; null without load_balancer."
  value       = one(aws_lb_target_group.this[*].arn_suffix)
}

output "log_group_name" {
  description = "CloudWatch log group of the tasks' JSON logs, for metric filters."
  value       = aws_cloudwatch_log_group.this.name
}
