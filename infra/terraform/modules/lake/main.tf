# The lake, the Athena query results and the deployment artifacts (Spark job code): private,
# versioned, SSE-KMS with bucket keys, reachable only over TLS, and pruned by lifecycle rules.

locals {
  buckets = {
    lake           = var.lake_bucket
    athena_results = var.athena_results_bucket
    artifacts      = var.artifacts_bucket
  }

  lifecycle_rules = {
    # Run folders (gold/runs/) have no rule: the nightly job removes the runs beyond
    # SALESFLOW_GOLD_RUNS_KEPT itself and never the published one, which a rule cannot tell apart
    # (batch_layer/runs.py).
    lake = [
      { id = "expire-quarantine", prefix = "bronze/_quarantine/", days = var.quarantine_retention_days },
    ]
    athena_results = [
      { id = "expire-query-results", prefix = "", days = var.athena_results_retention_days },
    ]
    artifacts = []
  }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles the lake's cost and is not set up here: versioning protects against deletion, not against losing the region. Add a replication configuration where that is required.
  #checkov:skip=CKV_AWS_18:Server access logs need an SSE-S3 target bucket outside the platform key, which the stack does not create; object-level access is not audited by default: turn on CloudTrail S3 data events for these buckets in the account's trail where that is required (docs/deploy.md).
  #checkov:skip=CKV2_AWS_62:Only the lake needs event notifications (the landing module owns them); results and artifacts trigger nothing.
  for_each = local.buckets

  bucket        = each.value
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    bucket_key_enabled = true
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    id     = "abort-incomplete-uploads-and-old-versions"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 2
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
  }

  # Compacted bronze goes to Intelligent-Tiering: an object nothing read for 30 days moves to
  # its Infrequent Access tier, after 90 to Archive Instant Access, and back on its next read,
  # with no retrieval fee. The weekly full rebuild reads all of bronze, so under it objects stay
  # in the frequent tier; with rarer full rebuilds (SALESFLOW_BATCH_FULL_EVERY_DAYS) they tier
  # down (docs/cost.md). Only objects above 128 KiB, the least Intelligent-Tiering monitors:
  # the compacted hours, not the speed layer's landed batches, which compaction removes.
  dynamic "rule" {
    for_each = each.key == "lake" && var.bronze_intelligent_tiering ? ["bronze"] : []
    content {
      id     = "bronze-intelligent-tiering"
      status = "Enabled"
      filter {
        and {
          prefix                   = "bronze/sales_events/"
          object_size_greater_than = 131072
        }
      }
      transition {
        days          = 0
        storage_class = "INTELLIGENT_TIERING"
      }
    }
  }

  dynamic "rule" {
    for_each = local.lifecycle_rules[each.key]
    content {
      id     = rule.value.id
      status = "Enabled"
      filter {
        prefix = rule.value.prefix
      }
      expiration {
        days = rule.value.days
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

data "aws_iam_policy_document" "tls_only" {
  for_each = aws_s3_bucket.this

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value.arn, "${each.value.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "tls_only" {
  for_each = aws_s3_bucket.this

  bucket     = each.value.id
  policy     = data.aws_iam_policy_document.tls_only[each.key].json
  depends_on = [aws_s3_bucket_public_access_block.this]
}
