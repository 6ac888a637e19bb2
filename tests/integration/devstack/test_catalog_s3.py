from __future__ import annotations

import pyarrow.parquet as pq

from contract.aws import aws_client
from contract.lake import LakeLocation
from contract.reference import Product
from devstack.catalog import build_catalog, reference_file, write_reference


def test_write_reference_to_an_s3_lake_on_the_moto_server(moto_settings):
    s3 = aws_client(moto_settings, "s3")
    s3.create_bucket(Bucket=moto_settings.lake_bucket)
    lake_uri = f"s3://{moto_settings.lake_bucket}/lake"
    catalog = build_catalog(seed=3, customer_count=50)

    written = write_reference(lake_uri, catalog, settings=moto_settings)

    assert written[0] == f"{lake_uri}/{reference_file('products')}"
    keys = {
        item["Key"] for item in s3.list_objects_v2(Bucket=moto_settings.lake_bucket)["Contents"]
    }
    assert keys == {f"lake/{reference_file(t)}" for t in ("products", "stores", "customers")}
    location = LakeLocation.parse(lake_uri)
    filesystem = location.filesystem(
        s3_endpoint_url=moto_settings.endpoint_url("s3"), region=moto_settings.aws_region
    )
    table = pq.read_table(location.path(reference_file("products")), filesystem=filesystem)
    assert [Product.model_validate(row) for row in table.to_pylist()] == catalog.products
