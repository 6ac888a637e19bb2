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
  #checkov:skip=CKV_AWS_111:In a key policy Resource "*" means this key only; every service statement carries an aws:SourceAccount condition (IfExists where AWS passes none), Logs is also limited by encryption context, alarms by their ARN.
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
    # Confused deputy: Logs acting for another account's log group never uses this key. IfExists,
    # as AWS documents the encryption context, not the source keys, for Logs' calls to KMS.
    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  # Alarms publish to the encrypted alerts topic on behalf of this account's alarms only: AWS
  # passes the source account and the alarm's ARN on these calls.
  statement {
    sid       = "AlarmsPublishToTheEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:alarm:*"]
    }
  }

  # Budgets and EventBridge: AWS does not document the source keys on their calls to KMS for an
  # encrypted topic (for EventBridge it says they are absent), and a strict condition would drop
  # every alert unseen. IfExists keeps out any call naming another account; the topic policy
  # admits this account's budgets and rules only.
  statement {
    sid       = "BudgetsAndEventsPublishToTheEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["budgets.amazonaws.com", "events.amazonaws.com"]
    }
    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
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
