# Output names equal the SALESFLOW_* settings they feed (contract/settings.py), lower-cased.

output "name_prefix" {
  description = "SALESFLOW_NAME_PREFIX."
  value       = var.name_prefix
}

output "aws_region" {
  description = "SALESFLOW_AWS_REGION."
  value       = var.region
}

output "stream_name" {
  description = "SALESFLOW_STREAM_NAME."
  value       = module.stream.stream_name
}

output "queue_name" {
  description = "SALESFLOW_QUEUE_NAME."
  value       = module.stream.queue_name
}

output "dead_letter_queue_name" {
  description = "SALESFLOW_DEAD_LETTER_QUEUE_NAME."
  value       = module.stream.dead_letter_queue_name
}

output "kinesis_dead_letter_queue_name" {
  description = "SALESFLOW_KINESIS_DEAD_LETTER_QUEUE_NAME."
  value       = module.stream.kinesis_dead_letter_queue_name
}

output "csv_dead_letter_queue_name" {
  description = "SALESFLOW_CSV_DEAD_LETTER_QUEUE_NAME."
  value       = module.stream.csv_dead_letter_queue_name
}

output "lake_bucket" {
  description = "SALESFLOW_LAKE_BUCKET."
  value       = module.lake.lake_bucket
}

output "lake_uri" {
  description = "SALESFLOW_LAKE_URI."
  value       = local.salesflow_environment.SALESFLOW_LAKE_URI
}

output "athena_results_bucket" {
  description = "SALESFLOW_ATHENA_RESULTS_BUCKET."
  value       = module.lake.athena_results_bucket
}

output "glue_database" {
  description = "SALESFLOW_GLUE_DATABASE."
  value       = module.catalog.glue_database
}

output "athena_workgroup" {
  description = "SALESFLOW_ATHENA_WORKGROUP."
  value       = module.catalog.athena_workgroup
}

output "customer_profiles_table" {
  description = "SALESFLOW_CUSTOMER_PROFILES_TABLE."
  value       = module.customer_profiles.table_name
}

output "salesflow_environment" {
  description = "Every SALESFLOW_* setting the components run with (env var -> value); export them to run a command against this deployment."
  value       = local.salesflow_environment
}

output "api_url" {
  description = "Base URL of the ingest API's load balancer."
  value       = module.ingest.api_url
}

output "api_keys_secret_arn" {
  description = "Secret to put SALESFLOW_API_KEYS into (name:sha256hex,...)."
  value       = module.ingest.api_keys_secret_arn
}

output "service_repository_url" {
  description = "Push the service image (Dockerfile target `service`) here."
  value       = module.registry.service_repository_url
}

output "lambda_repository_url" {
  description = "Push the Lambda image (Dockerfile target `lambda`) here."
  value       = module.registry.lambda_repository_url
}

output "batch_artifacts_uri" {
  description = "Upload the nightly job's entrypoint.py and pyspark_env.tar.gz here."
  value       = module.batch.artifacts_uri
}

output "emr_application_id" {
  description = "EMR Serverless application of the nightly job."
  value       = module.batch.application_id
}

output "batch_job_role_arn" {
  description = "Execution role for a manual `aws emr-serverless start-job-run`."
  value       = module.batch.job_role_arn
}

output "batch_job_driver" {
  description = "jobDriver of the nightly job for a manual run; append [\"--cutoff\", T] to its entryPointArguments."
  value       = module.batch.job_driver
}

output "lake_loader_policy_arn" {
  description = "Attach to the role, group or SSO permission set that runs `salesflow reference load` and `salesflow load-csv --lake s3://...` (reference/ and bronze/csv_uploads/ only)."
  value       = module.lake.loader_policy_arn
}

output "landing_uri" {
  description = "Drop legacy CSV exports here; each new file is loaded by the CSV Lambda."
  value       = module.landing.landing_uri
}

output "dashboard_url" {
  description = "Live dashboard and query API, or null when dashboard_host_name is empty."
  value       = one(module.serving[*].dashboard_url)
}

output "alerts_topic_arn" {
  description = "SNS topic of the platform's alarms."
  value       = module.observability.alerts_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the platform."
  value       = module.observability.dashboard_name
}
