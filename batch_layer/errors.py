"""The batch layer's errors: the nightly job, the CSV and history loaders, reference data."""

from __future__ import annotations

from contract.errors import SalesflowError


class BatchLayerError(SalesflowError):
    """Root of the batch layer's errors."""


class ReferenceFileError(BatchLayerError):
    """A reference file was refused whole; `problems` names each bad line and column."""

    def __init__(self, file_name: str, problems: list[str]) -> None:
        self.file_name = file_name
        self.problems = problems
        listed = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{file_name}: {len(problems)} problem(s), nothing loaded:\n{listed}")


class ReferenceVersionError(BatchLayerError):
    """A reference version that does not exist or cannot be made current."""
