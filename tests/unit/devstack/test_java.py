"""Finding Java as Spark's launcher would, and a supported one where it would not look."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.java import find_java, find_newer_java, parse_java_version
from tests.fake_tools import fake_java_home, write_script


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', ("17.0.15", 17)),
        ('java version "1.8.0_382"\nJava(TM) SE Runtime Environment', ("1.8.0_382", 8)),
        ('Picked up JAVA_TOOL_OPTIONS: -Xmx1g\nopenjdk version "21" 2023-09-19', ("21", 21)),
        ('openjdk version "25-ea" 2025-09-16', ("25-ea", 25)),
        ("The operation couldn't be completed. Unable to locate a Java Runtime.", None),
    ],
)
def test_versions_are_read_as_java_prints_them(output, expected):
    assert parse_java_version(output) == expected


def _bin(tmp_path: Path, java_home: Path | None = None) -> dict[str, str]:
    """An environment whose PATH holds only `java_home`'s java, if any."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if java_home is not None:
        (bin_dir / "java").symlink_to(java_home / "bin" / "java")
    return {"PATH": str(bin_dir)}


def test_java_on_path_is_in_use_and_its_home_is_two_levels_up(tmp_path):
    home = fake_java_home(tmp_path / "jdk-17")
    lookup = find_java(_bin(tmp_path, home), kernel="Linux", jvm_dirs=(), homebrew_prefixes=())
    assert lookup.in_use is not None
    assert (lookup.in_use.home, lookup.in_use.major, lookup.in_use.found_via) == (home, 17, "PATH")
    assert lookup.best == lookup.in_use
    assert lookup.java_home_for_children() is None


def test_java_home_wins_over_path_as_in_sparks_launcher(tmp_path):
    on_path = fake_java_home(tmp_path / "jdk-17")
    eleven = fake_java_home(tmp_path / "jdk-11", "11.0.22")
    env = _bin(tmp_path, on_path) | {"JAVA_HOME": str(eleven)}
    lookup = find_java(env, kernel="Linux", jvm_dirs=(), homebrew_prefixes=())
    assert lookup.in_use is not None
    assert (lookup.in_use.major, lookup.in_use.found_via) == (11, "JAVA_HOME")
    assert lookup.best == lookup.in_use


def test_a_java_home_without_java_is_broken_and_a_supported_runtime_is_offered(tmp_path):
    (tmp_path / "empty").mkdir()
    good = fake_java_home(tmp_path / "jvm" / "java-17-openjdk")
    env = _bin(tmp_path) | {"JAVA_HOME": str(tmp_path / "empty")}
    lookup = find_java(env, kernel="Linux", jvm_dirs=(tmp_path / "jvm",), homebrew_prefixes=())
    assert lookup.java_home_broken
    assert lookup.java_home_for_children() == good


def test_an_unsupported_java_on_path_points_to_a_supported_one_preferring_17(tmp_path):
    newest = fake_java_home(tmp_path / "jdk-25", "25.0.1")
    jvm = tmp_path / "jvm"
    fake_java_home(jvm / "java-11-openjdk", "11.0.22")
    seventeen = fake_java_home(jvm / "java-17-openjdk", "17.0.15")
    fake_java_home(jvm / "java-8-openjdk", "1.8.0_402")
    lookup = find_java(
        _bin(tmp_path, newest), kernel="Linux", jvm_dirs=(jvm,), homebrew_prefixes=()
    )
    assert lookup.in_use is not None
    assert not lookup.in_use.supported
    assert lookup.best is not None
    assert (lookup.best.home, lookup.best.found_via) == (seventeen, str(jvm))


def test_homebrews_keg_only_openjdk_is_found_through_brew_prefix(tmp_path):
    keg = tmp_path / "opt" / "openjdk@17"
    home = fake_java_home(keg / "libexec" / "openjdk.jdk" / "Contents" / "Home")
    env = _bin(tmp_path)
    write_script(tmp_path / "bin" / "brew", f'[ "$1 $2" = "--prefix openjdk@17" ] && echo {keg}')
    lookup = find_java(env, kernel="Darwin", jvm_dirs=(), homebrew_prefixes=())
    assert lookup.in_use is None
    assert lookup.best is not None
    assert (lookup.best.home, lookup.best.found_via) == (home, "Homebrew openjdk@17")
    assert lookup.java_home_for_children() == home


def test_no_java_anywhere(tmp_path):
    broken = write_script(tmp_path / "stub" / "bin" / "java", "echo 'Unable to locate' >&2; exit 1")
    lookup = find_java(
        _bin(tmp_path, broken.parent.parent), kernel="Linux", jvm_dirs=(), homebrew_prefixes=()
    )
    assert (lookup.in_use, lookup.best) == (None, None)
    assert not lookup.java_home_broken


def test_a_newer_java_for_trino_is_found_beside_sparks_and_the_newest_wins(tmp_path):
    seventeen = fake_java_home(tmp_path / "jdk-17", "17.0.15")
    jvm = tmp_path / "jvm"
    fake_java_home(jvm / "temurin-24-jdk", "24.0.2")
    newest = fake_java_home(jvm / "temurin-25-jdk", "25.0.3")
    env = {**_bin(tmp_path, seventeen), "JAVA_HOME": str(seventeen)}

    found = find_newer_java(24, env, jvm_dirs=(jvm,))

    assert found is not None
    assert (found.home, found.major, found.found_via) == (newest, 25, str(jvm))
    assert find_newer_java(26, env, jvm_dirs=(jvm,)) is None
