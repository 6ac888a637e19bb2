"""Spark schemas derived from the Arrow schemas, so the batch job reads bronze with the contract's
types (DECIMAL(18,2), UTC timestamps) instead of inferring them. Imports pyspark lazily: only the
batch layer needs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from pyspark.sql.types import DataType, StructType


def spark_schema(schema: pa.Schema) -> StructType:
    from pyspark.sql.types import StructField, StructType

    return StructType(
        [StructField(field.name, spark_type(field.type), field.nullable) for field in schema]
    )


def spark_type(data_type: pa.DataType) -> DataType:
    from pyspark.sql import types as t

    if pa.types.is_decimal(data_type):
        return t.DecimalType(data_type.precision, data_type.scale)
    if pa.types.is_list(data_type):
        element = data_type.value_field
        return t.ArrayType(spark_type(element.type), containsNull=element.nullable)
    if pa.types.is_map(data_type):
        return t.MapType(spark_type(data_type.key_type), spark_type(data_type.item_type))
    if pa.types.is_struct(data_type):
        return t.StructType(
            [t.StructField(f.name, spark_type(f.type), f.nullable) for f in data_type]
        )
    scalars = {
        pa.string(): t.StringType(),
        pa.int16(): t.ShortType(),
        pa.int32(): t.IntegerType(),
        pa.int64(): t.LongType(),
        pa.bool_(): t.BooleanType(),
        pa.float64(): t.DoubleType(),
        pa.date32(): t.DateType(),
    }
    if pa.types.is_timestamp(data_type):
        return t.TimestampType()
    if data_type in scalars:
        return scalars[data_type]
    raise TypeError(f"no Spark type for Arrow type {data_type}")
