# Glue database and tables over the lake, and the Athena workgroup every query runs in. Column
# lists come from tables.json, generated from contract/ by `python -m devstack.glue_tables`.

locals {
  tables    = jsondecode(file("${path.module}/tables.json")).tables
  lake_root = "s3://${var.lake_bucket}"

  hours = join(",", [for hour in range(24) : format("%02d", hour)])

  # Partition projection: Athena computes partitions from these rules instead of a crawler or
  # MSCK REPAIR, so a new ingest hour or sale date is queryable the moment its files land.
  projections = {
    bronze_sales_events = {
      "projection.enabled"                   = "true"
      "projection.ingest_date.type"          = "date"
      "projection.ingest_date.format"        = "yyyy-MM-dd"
      "projection.ingest_date.range"         = "${var.projection_start_date},NOW"
      "projection.ingest_date.interval"      = "1"
      "projection.ingest_date.interval.unit" = "DAYS"
      "projection.ingest_hour.type"          = "enum"
      "projection.ingest_hour.values"        = local.hours
      "storage.location.template"            = "${local.lake_root}/${local.tables.bronze_sales_events.location}/ingest_date=$${ingest_date}/ingest_hour=$${ingest_hour}"
    }
    sales_wide = {
      "projection.enabled"          = "true"
      "projection.sale_date.type"   = "date"
      "projection.sale_date.format" = "yyyy-MM-dd"
      "projection.sale_date.range"  = "${var.projection_start_date},NOW"
      "storage.location.template"   = "${local.lake_root}/${local.tables.sales_wide.location}/sale_date=$${sale_date}"
    }
  }

  lake_tables      = { for name, table in local.tables : name => table if !table.published_by_batch }
  published_tables = { for name, table in local.tables : name => table if table.published_by_batch }
}

resource "aws_glue_catalog_database" "this" {
  name        = var.glue_database
  description = "salesflow lake: bronze events, gold sales_wide and marts, reference data"
  tags        = var.tags
}

resource "aws_glue_data_catalog_encryption_settings" "this" {
  count = var.manage_catalog_encryption ? 1 : 0

  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = var.kms_key_arn
    }
    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = var.kms_key_arn
    }
  }
}

resource "aws_glue_catalog_table" "lake" {
  for_each = local.lake_tables

  database_name = aws_glue_catalog_database.this.name
  name          = each.key
  table_type    = "EXTERNAL_TABLE"
  parameters = merge(
    { "classification" = "parquet", "EXTERNAL" = "TRUE" },
    lookup(local.projections, each.key, {}),
  )

  dynamic "partition_keys" {
    for_each = each.value.partition_keys
    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }

  storage_descriptor {
    location      = "${local.lake_root}/${each.value.location}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

# Gold and mart tables live in run folders (docs/adr/0002): the batch layer's publish step points
# them at each new run, so Terraform creates them once and leaves their location alone.
resource "aws_glue_catalog_table" "published" {
  for_each = local.published_tables

  database_name = aws_glue_catalog_database.this.name
  name          = each.key
  table_type    = "EXTERNAL_TABLE"
  parameters = merge(
    { "classification" = "parquet", "EXTERNAL" = "TRUE" },
    lookup(local.projections, each.key, {}),
  )

  dynamic "partition_keys" {
    for_each = each.value.partition_keys
    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }

  storage_descriptor {
    location      = "${local.lake_root}/${each.value.location}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.value.name
        type = columns.value.type
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
