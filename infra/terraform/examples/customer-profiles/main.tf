# The Customer 360 profile store alone: the platform key and the DynamoDB table the nightly job
# loads profiles into (docs/adr/0013), as the deployment makes them. `terraform init && terraform
# apply`, then `terraform destroy` (deletion protection is off in this example).

module "kms" {
  source = "../../modules/kms"

  name_prefix = var.name_prefix
  tags        = var.tags
}

module "customer_profiles" {
  source = "../../modules/customer_profiles"

  table_name          = "${var.name_prefix}-customer-profiles"
  kms_key_arn         = module.kms.key_arn
  deletion_protection = false
  tags                = var.tags
}
