output "application_id" {
  description = "EMR Serverless application id (for `aws emr-serverless start-job-run`)."
  value       = aws_emrserverless_application.this.id
}

output "application_arn" {
  description = "EMR Serverless application ARN."
  value       = aws_emrserverless_application.this.arn
}

output "job_role_arn" {
  description = "Execution role of the nightly job."
  value       = module.job_role.arn
}

output "artifacts_uri" {
  description = "Where to upload entrypoint.py and pyspark_env.tar.gz."
  value       = local.artifacts_uri
}

output "nightly_schedule_name" {
  description = "EventBridge Scheduler schedule of the nightly job."
  value       = aws_scheduler_schedule.nightly.name
}

output "job_driver" {
  description = "The nightly job's jobDriver for `aws emr-serverless start-job-run`; append [\"--cutoff\", T] to its entryPointArguments."
  value       = local.job_driver
}

output "schedule_group_name" {
  description = "EventBridge Scheduler group of the nightly job's and the compaction's schedules."
  value       = aws_scheduler_schedule_group.this.name
}

output "compaction_task_family" {
  description = "Task definition family of the hourly compaction."
  value       = module.compaction.task_definition_family
}
