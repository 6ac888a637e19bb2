# Glue database and tables over the lake, and the Athena workgroup every query runs in. The tables
# are the serving layer's DDL (serving/sql/tables), rendered into tables.json as Glue TableInputs
# by `python -m devstack.terraform_tables`: columns, partition projection and storage are never typed
# here a second time.

locals {
  catalog   = jsondecode(file("${path.module}/tables.json"))
  lake_root = "s3://${var.lake_bucket}"

  tables = {
    for name, table in local.catalog.tables : name => {
      parameters       = { for key, value in table.Parameters : key => replace(value, local.catalog.lake_root_placeholder, local.lake_root) }
      partition_keys   = table.PartitionKeys
      location         = replace(table.StorageDescriptor.Location, local.catalog.lake_root_placeholder, local.lake_root)
      columns          = table.StorageDescriptor.Columns
      input_format     = table.StorageDescriptor.InputFormat
      output_format    = table.StorageDescriptor.OutputFormat
      serde_library    = table.StorageDescriptor.SerdeInfo.SerializationLibrary
      serde_parameters = lookup(table.StorageDescriptor.SerdeInfo, "Parameters", {})
    }
  }

  lake_tables      = { for name, table in local.tables : name => table if !contains(local.catalog.published_tables, name) }
  published_tables = { for name, table in local.tables : name => table if contains(local.catalog.published_tables, name) }
}

resource "aws_glue_catalog_database" "this" {
  name        = var.glue_database
  description = "salesflow lake: bronze events, gold sales_wide and marts, reference data"
  tags        = var.tags
}

# Account-wide (every database of the account and region), so opt-in, and with a key this stack
# does not own: `terraform destroy` schedules the platform key for deletion, and a catalog
# encrypted with it would become unreadable for the whole account 30 days later. Destroying
# this resource leaves the setting as it was last set.
resource "aws_glue_data_catalog_encryption_settings" "this" {
  count = var.manage_catalog_encryption ? 1 : 0

  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = var.glue_catalog_kms_key_arn
    }
    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = var.glue_catalog_kms_key_arn
    }
  }
}

resource "aws_glue_catalog_table" "lake" {
  for_each = local.lake_tables

  database_name = aws_glue_catalog_database.this.name
  name          = each.key
  table_type    = "EXTERNAL_TABLE"
  parameters    = each.value.parameters

  dynamic "partition_keys" {
    for_each = each.value.partition_keys
    content {
      name = partition_keys.value.Name
      type = partition_keys.value.Type
    }
  }

  storage_descriptor {
    location      = each.value.location
    input_format  = each.value.input_format
    output_format = each.value.output_format

    ser_de_info {
      serialization_library = each.value.serde_library
      parameters            = each.value.serde_parameters
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.value.Name
        type = columns.value.Type
      }
    }
  }
}

# Gold and mart tables live in run folders (docs/adr/0002): the serving layer re-points them at each
# published run (UpdateTable), so Terraform creates them once and leaves location and template alone.
# The block repeats the one above because ignore_changes cannot depend on a value.
resource "aws_glue_catalog_table" "published" {
  for_each = local.published_tables

  database_name = aws_glue_catalog_database.this.name
  name          = each.key
  table_type    = "EXTERNAL_TABLE"
  parameters    = each.value.parameters

  dynamic "partition_keys" {
    for_each = each.value.partition_keys
    content {
      name = partition_keys.value.Name
      type = partition_keys.value.Type
    }
  }

  storage_descriptor {
    location      = each.value.location
    input_format  = each.value.input_format
    output_format = each.value.output_format

    ser_de_info {
      serialization_library = each.value.serde_library
      parameters            = each.value.serde_parameters
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.value.Name
        type = columns.value.Type
      }
    }
  }

  lifecycle {
    ignore_changes = [storage_descriptor[0].location, parameters]
  }
}

resource "aws_athena_workgroup" "this" {
  name          = var.athena_workgroup
  description   = "salesflow serving queries: enforced encrypted results and a per-query scan cap"
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${var.athena_results_bucket}/"

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }

  tags = var.tags
}
