"""`gold/_published.json`: the pointer that makes a batch run visible, written last and atomically.

Readers (the serving layer, Athena view refresh) take the cutoff T and the table locations from
here and nothing else, so a half-written run folder is never read.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict


class Publication(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    cutoff: AwareDatetime
    """T: every event ingested before it is in gold; events ingested at or after it are not."""
    published_at: AwareDatetime
    tables: dict[str, str]
    """Table name -> the run folder holding it, relative to the lake root."""
    input_counts: dict[str, int]
    output_counts: dict[str, int]
    quality_counts: dict[str, int]
    duplicates: int
    duration_seconds: float
