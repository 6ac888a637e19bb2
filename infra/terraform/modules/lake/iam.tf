# What a person or pipeline needs to load data into the lake from outside AWS's own services:
# `salesflow reference load` (products, stores, customers), `salesflow load-csv` (history) and
# `salesflow reconcile load` (the tills' end-of-day reports). The policy is created here and
# attached by whoever manages the account's people (a group, an SSO permission set, a CI role):
# this stack makes no roles for humans. It reaches only the prefixes those commands write, never
# bronze events, gold or the pointer; it may delete only the CSV loader's own staging area (parts
# move from there to bronze/csv_uploads/ by copy and delete).

locals {
  lake_bucket_arn = aws_s3_bucket.this["lake"].arn
  loader_prefixes = [
    "reference/*",
    "bronze/csv_uploads/*",
    "bronze/csv_loads/*",
    "bronze/_staging/csv/*",
    "bronze/_quarantine/csv/*",
    "reconciliation/reports/*",
  ]
}

data "aws_iam_policy_document" "loader" {
  statement {
    sid       = "ListTheLoadedPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = local.loader_prefixes
    }
  }
  statement {
    sid       = "ReadAndWriteReferenceDataAndLoads"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [for prefix in local.loader_prefixes : "${local.lake_bucket_arn}/${prefix}"]
  }
  statement {
    sid       = "ClearTheCsvStagingArea"
    actions   = ["s3:DeleteObject"]
    resources = ["${local.lake_bucket_arn}/bronze/_staging/csv/*"]
  }
  statement {
    sid       = "UseThePlatformKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_policy" "loader" {
  name        = "${var.name_prefix}-lake-loader"
  description = "Load reference data, CSV history and end-of-day reports into the salesflow lake (salesflow reference load, load-csv, reconcile load)"
  policy      = data.aws_iam_policy_document.loader.json
  tags        = var.tags
}
