# One customer-managed key encrypts every store of the platform (stream, queues, buckets, logs,
# secrets, SNS, DynamoDB). Services that write with it on our behalf are named in its policy.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:In a key policy Resource "*" means this key only; the account-root statement is the AWS-required default that keeps the key manageable.
  #checkov:skip=CKV_AWS_111:In a key policy Resource "*" means this key only; Logs is limited by encryption context, alarms and events by the topic policy.
  #checkov:skip=CKV_AWS_356:In a key policy Resource "*" means this key only; no narrower resource exists.
  # A key policy's Resource "*" means "this key"; the account root statement keeps the key
  # manageable through IAM, which AWS requires to avoid an unmanageable key.
  statement {
    sid       = "AccountAdministersTheKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }

  statement {
    sid       = "CloudWatchLogsEncryptsLogGroups"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:*"]
    }
  }

  # No source condition here, as in AWS's own example for alarms to an encrypted topic: the
  # services (alarms, events, budgets) call KMS for the topic's owner, and the topic policy
  # already admits only this account.
  statement {
    sid       = "AlarmsAndEventsPublishToTheEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name_prefix}: encrypts the stream, queues, lake, logs, secrets and alerts"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this.key_id
}
