"""The Maven bundles of the AWS paths' Java engines (devstack/jars.py)."""

from __future__ import annotations

from pathlib import Path

import pyspark
import pytest

from devstack import jars


def test_every_bundle_pins_each_artifact_to_an_exact_version():
    assert jars.bundles(), "no bundle under requirements/maven/"
    for bundle in jars.bundles():
        for coordinate in jars.artifacts(bundle):
            group, artifact, version = coordinate.split(":")
            assert group != "?", coordinate
            assert artifact != "?", coordinate
            assert version[0].isdigit(), coordinate
            assert not any(c in version for c in "[(,$"), coordinate


def test_the_s3_connector_matches_the_hadoop_that_pyspark_bundles():
    bundled = sorted((Path(pyspark.__file__).parent / "jars").glob("hadoop-client-api-*.jar"))
    assert len(bundled) == 1, bundled
    hadoop = bundled[0].name.removeprefix("hadoop-client-api-").removesuffix(".jar")
    assert f"org.apache.hadoop:hadoop-aws:{hadoop}" in jars.artifacts("s3a")


def test_an_unfetched_bundle_names_its_artifacts_and_the_command(tmp_path, monkeypatch):
    monkeypatch.setattr(jars, "CACHE", tmp_path)
    with pytest.raises(jars.MissingBundleError) as raised:
        jars.bundle_dir("s3a")
    assert "org.apache.hadoop:hadoop-aws:3.3.4" in str(raised.value)
    assert "python -m devstack.jars fetch s3a" in str(raised.value)


def test_a_fetch_cut_short_is_not_taken_for_a_bundle(tmp_path, monkeypatch):
    monkeypatch.setattr(jars, "CACHE", tmp_path)
    jars.folder("s3a").mkdir(parents=True)
    with pytest.raises(jars.MissingBundleError):
        jars.bundle_dir("s3a")


def test_an_unknown_bundle_lists_the_known_ones():
    with pytest.raises(jars.MissingBundleError, match=r"the bundles are .*s3a"):
        jars.pom("nope")
