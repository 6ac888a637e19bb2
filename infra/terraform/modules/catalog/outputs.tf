output "glue_database" {
  description = "Glue database name."
  value       = aws_glue_catalog_database.this.name
}

output "glue_database_arn" {
  description = "Glue database ARN."
  value       = aws_glue_catalog_database.this.arn
}

output "athena_workgroup" {
  description = "Athena workgroup name."
  value       = aws_athena_workgroup.this.name
}

output "athena_workgroup_arn" {
  description = "Athena workgroup ARN."
  value       = aws_athena_workgroup.this.arn
}

output "table_names" {
  description = "Every Glue table the module created."
  value       = concat(keys(aws_glue_catalog_table.lake), keys(aws_glue_catalog_table.published))
}
