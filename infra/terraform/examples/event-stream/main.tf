# The stream alone: Kinesis and SQS with their dead-letter queues, encrypted with the platform key,
# as the deployment makes them. `terraform init && terraform apply`, then point the ingest API at
# them (SALESFLOW_STREAM_NAME, SALESFLOW_QUEUE_NAME) and `terraform destroy` when done.

module "kms" {
  source = "../../modules/kms"

  name_prefix = var.name_prefix
  tags        = var.tags
}

module "stream" {
  source = "../../modules/stream"

  name_prefix            = var.name_prefix
  kms_key_arn            = module.kms.key_arn
  stream_name            = "${var.name_prefix}-sales-events"
  queue_name             = "${var.name_prefix}-sales-events"
  dead_letter_queue_name = "${var.name_prefix}-sales-events-dlq"
  tags                   = var.tags

  kinesis_dead_letter_queue_name = "${var.name_prefix}-kinesis-dlq"
  csv_dead_letter_queue_name     = "${var.name_prefix}-csv-dlq"
}
