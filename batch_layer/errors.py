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


class MappingError(BatchLayerError):
    """A mapping file is not valid; the message names the TOML key at fault."""


class CsvFileError(BatchLayerError):
    """A CSV export of which no row can be loaded; nothing of it is written to the lake."""


class CsvHeaderError(CsvFileError):
    """The file's header lacks a column the mapping names (or, for the contract's own format, is
    not exactly its columns)."""


class CsvEncodingError(CsvFileError):
    """A line of the file is not text in the mapping's encoding, or not CSV at all."""


class ScatteredEventError(CsvFileError):
    """Rows of one event lie further apart in the file than the loader's window of open events."""


class ZReportFileError(CsvFileError):
    """A Z-report export with a bad row, refused whole; `problems` names each row's file line
    and column."""

    def __init__(self, file_name: str, problems: list[str]) -> None:
        self.file_name = file_name
        self.problems = problems
        listed = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{file_name}: {len(problems)} problem(s), nothing stored:\n{listed}")


class UnfinishedLoadError(BatchLayerError):
    """A load of the same file stopped half-way after publishing part of it with other settings."""
