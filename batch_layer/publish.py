"""Publishing a run: its report in the run folder, then `gold/_published.json`, last.

Readers find gold only through the pointer, so until it is replaced (atomically, see
`contract.lake_io`) they keep reading the previous run, whatever state the new run folder is in.
A run that dies before this step leaves an orphan folder and nothing else.
"""

from __future__ import annotations

from contract.lake import PUBLISHED_POINTER, LakeLocation, gold_run
from contract.lake_io import LakeFiles
from contract.publication import Publication
from contract.settings import Settings

RUN_REPORT = "_run.json"


def publish(lake: LakeLocation, publication: Publication, settings: Settings) -> None:
    files = LakeFiles.open(lake.uri, settings)
    document = (publication.model_dump_json(indent=2) + "\n").encode()
    files.write_bytes(f"{gold_run(publication.run_id)}/{RUN_REPORT}", document)
    files.write_bytes(PUBLISHED_POINTER, document)
