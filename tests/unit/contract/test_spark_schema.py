"""Arrow to Spark types: the batch job reads every input with the contract's own types.

pyspark's type classes need no JVM, so these run without a Spark session.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from pyspark.sql import types as t

from contract.bronze import BRONZE_SCHEMA
from contract.spark_schema import spark_schema, spark_type


@pytest.mark.parametrize(
    ("arrow", "spark"),
    [
        (pa.string(), t.StringType()),
        (pa.int16(), t.ShortType()),
        (pa.int32(), t.IntegerType()),
        (pa.int64(), t.LongType()),
        (pa.bool_(), t.BooleanType()),
        (pa.float64(), t.DoubleType()),
        (pa.date32(), t.DateType()),
        (pa.timestamp("us", tz="UTC"), t.TimestampType()),
        (pa.decimal128(18, 2), t.DecimalType(18, 2)),
        (pa.decimal128(38, 6), t.DecimalType(38, 6)),
        (pa.map_(pa.string(), pa.int64()), t.MapType(t.StringType(), t.LongType())),
        (
            pa.list_(pa.field("n", pa.int32(), nullable=False)),
            t.ArrayType(t.IntegerType(), containsNull=False),
        ),
        (pa.list_(pa.string()), t.ArrayType(t.StringType(), containsNull=True)),
        (
            pa.struct([pa.field("a", pa.string(), nullable=False), pa.field("b", pa.int64())]),
            t.StructType(
                [t.StructField("a", t.StringType(), False), t.StructField("b", t.LongType(), True)]
            ),
        ),
    ],
)
def test_each_arrow_type_has_its_spark_type(arrow: pa.DataType, spark: t.DataType) -> None:
    assert spark_type(arrow) == spark


def test_a_type_without_a_spark_equivalent_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="time64"):
        spark_type(pa.time64("us"))


def test_a_schema_keeps_names_order_and_nullability() -> None:
    schema = spark_schema(BRONZE_SCHEMA)
    assert [(f.name, f.nullable) for f in schema.fields] == [
        (f.name, f.nullable) for f in BRONZE_SCHEMA
    ]
    assert schema["total"].dataType == t.DecimalType(18, 2)
    items = schema["items"].dataType
    assert isinstance(items, t.ArrayType)
    assert isinstance(items.elementType, t.StructType)
    assert items.elementType["unit_price"].dataType == t.DecimalType(18, 2)
