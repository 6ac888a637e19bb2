"""Publishing a run: its report in the run folder, then `gold/_published.json`, last.

Readers find gold only through the pointer, so until it is replaced (atomically, see
`lake_files.write_atomically`) they keep reading the previous run, whatever state the new run
folder is in. A run that dies before this step leaves an orphan folder and nothing else.
"""

from __future__ import annotations

from batch_layer import lake_files
from contract.lake import PUBLISHED_POINTER, LakeLocation, gold_run
from contract.publication import Publication
from contract.settings import Settings

RUN_REPORT = "_run.json"


def publish(lake: LakeLocation, publication: Publication, settings: Settings) -> None:
    document = (publication.model_dump_json(indent=2) + "\n").encode()
    report = f"{gold_run(publication.run_id)}/{RUN_REPORT}"
    lake_files.write_atomically(lake, report, document, settings)
    lake_files.write_atomically(lake, PUBLISHED_POINTER, document, settings)


def read_publication(lake: LakeLocation, settings: Settings) -> Publication | None:
    document = lake_files.read(lake, PUBLISHED_POINTER, settings)
    return None if document is None else Publication.model_validate_json(document)
