"""The serving layer: the merged real-time + batch view, its query engines, API and dashboard.

The view SQL lives once, in the Athena (Trino) dialect, under `serving/sql/`; Athena runs it in
AWS and DuckDB runs its sqlglot transpilation on a local lake (docs/serving.md).
"""
