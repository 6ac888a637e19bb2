"""The ingest API: authenticated, validated sale events into Kinesis or SQS (docs/ingest_api.md)."""
