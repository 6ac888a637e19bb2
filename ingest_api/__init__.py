"""The ingest API: authenticated, validated sale events into Kinesis or SQS (DESIGN section 4)."""
