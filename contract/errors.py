"""The root of every error salesflow raises on purpose.

Each package has an `errors.py` whose classes derive from `SalesflowError`, so a caller can catch
everything salesflow refuses (`except SalesflowError`) or one layer's refusals (`except
BatchLayerError`) without knowing each module's classes.
"""

from __future__ import annotations


class SalesflowError(Exception):
    """Something salesflow refused or could not do; the message says what to do about it."""
