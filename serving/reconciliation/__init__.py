"""End-of-day reconciliation: the tills' reports against the merged view (docs/reconciliation.md).

`compare` holds the rules, `queries` what the merged view counts, `service` puts them together
and `results` records each change; `checker` repeats the comparison on a schedule for the alarms.
"""
