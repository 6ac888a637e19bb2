"""One local SparkSession per xdist worker, and a generated lake with one published run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from batch_layer.job import run_batch
from contract.publication import Publication
from contract.settings import Settings
from tests.integration.batch_layer.scenario import Scenario, build_scenario


@dataclass(frozen=True)
class PublishedLake:
    scenario: Scenario
    settings: Settings
    publication: Publication


@pytest.fixture(scope="module")
def published_lake(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> PublishedLake:
    """The scenario lake after one successful run: the baseline the other tests compare with."""
    root = tmp_path_factory.mktemp("batch")
    settings = Settings(state_dir=root / "state", lake_uri=str(root / "lake"))
    scenario = build_scenario(Path(settings.lake_uri), settings)
    publication = run_batch(settings.lake_uri, scenario.cutoff, settings=settings, spark=spark)
    return PublishedLake(scenario, settings, publication)
