# The DynamoDB table of Customer 360 profiles (docs/adr/0013): the nightly job loads every
# published run's profiles into it and the query API looks customers up there in milliseconds.
# Items are keyed by (customer_id, run_id); a marker item per run says its load finished; TTL
# removes the runs of past nights. The data is derived (gold holds it): the table is rebuilt by
# `salesflow batch load-profiles`, so on-demand billing and no replicas.

resource "aws_dynamodb_table" "this" {
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "customer_id"
  range_key                   = "run_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "customer_id"
    type = "S"
  }

  attribute {
    name = "run_id"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}
