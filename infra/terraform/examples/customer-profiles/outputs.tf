output "table_name" {
  description = "The table to give SALESFLOW_CUSTOMER_PROFILES_TABLE."
  value       = module.customer_profiles.table_name
}

output "kms_key_arn" {
  description = "The key the table is encrypted with."
  value       = module.kms.key_arn
}
