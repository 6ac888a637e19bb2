"""The speed layer: delivered stream records become Parquet files in the bronze lake within seconds.

One core, `land()`, and thin adapters around it (Lambda handlers, a KCL MultiLang record
processor, a local poller), plus the hourly compaction of small files (docs/speed_layer.md).
"""

from speed_layer.landing import LandingReport, land
from speed_layer.records import Batch, DeliveredRecord

__all__ = ["Batch", "DeliveredRecord", "LandingReport", "land"]
