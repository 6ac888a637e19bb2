"""The sales simulator: realistic retail traffic sent to the ingest API, with an exact ledger."""
