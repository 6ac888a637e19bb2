# One role one AWS service assumes, with the one inline policy saying what it may do. Every role of
# the platform is its own (docs/deploy.md): no managed policy is attached, no role is shared.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = [var.service]
    }

    # Services acting for any account (EMR Serverless, EventBridge Scheduler) are held to this one.
    dynamic "condition" {
      for_each = var.source_account == null ? [] : [var.source_account]
      content {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = var.policy_name
  role   = aws_iam_role.this.id
  policy = var.policy_json
}
