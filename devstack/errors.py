"""The local stack's errors, under one root so a caller can catch everything `devstack` refuses."""

from __future__ import annotations

from contract.errors import SalesflowError


class DevstackError(SalesflowError):
    """Something the local stack (`salesflow up`, `doctor`) refused or could not do."""
