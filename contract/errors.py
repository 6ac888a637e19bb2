"""The root of every error salesflow raises on purpose.

Each package has an `errors.py` whose classes derive from `SalesflowError`, so a caller can catch
everything salesflow refuses (`except SalesflowError`) or one layer's refusals (`except
BatchLayerError`) without knowing each module's classes.
"""

from __future__ import annotations


class SalesflowError(Exception):
    """Something salesflow refused or could not do; the message says what to do about it."""


class ProfileStoreError(SalesflowError):
    """The DynamoDB profile store refused or could not finish a read or a load (ADR 0013)."""


class CompressedRecordError(SalesflowError, ValueError):
    """A stream record that starts like gzip but does not inflate to one whole, bounded payload
    (`contract.stream_compression`); the consumers quarantine it as it is."""


class PublicationError(SalesflowError):
    """`gold/_published.json` exists but does not name a readable run; republish with `salesflow
    batch run` (or `salesflow batch rollback RUN_ID` to an earlier run)."""
