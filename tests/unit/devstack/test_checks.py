"""`salesflow doctor`'s local checks against the real thing: sockets, folders, programs."""

from __future__ import annotations

import socket
from pathlib import Path

from devstack import jars
from devstack.checks import (
    GIB,
    Check,
    Status,
    check_disk,
    check_java,
    check_kcl_jars,
    check_ports,
    check_python,
    render,
)
from devstack.java import JavaLookup, find_java
from devstack.local_servers import free_port
from tests.fake_tools import fake_java_home

INSTALL = "sudo apt-get install openjdk-17-jre-headless"


def _lookup(tmp_path: Path, **env: str) -> JavaLookup:
    """Java as found with `env` and only `tmp_path/jvm` to look in further."""
    return find_java(
        {"PATH": str(tmp_path / "bin"), **env},
        kernel="Linux",
        jvm_dirs=(tmp_path / "jvm",),
        homebrew_prefixes=(),
    )


def test_python_reports_the_interpreter_and_spark():
    check = check_python()
    assert check.status is Status.OK
    assert "pyspark 3.5" in check.detail


def test_an_old_python_fails_with_how_to_rebuild_the_virtualenv():
    check = check_python((3, 10, 14), "/usr/bin/python3")
    assert check.status is Status.FAIL
    assert "3.10.14 at /usr/bin/python3" in check.detail
    assert "make setup" in check.fix


def test_java_from_a_java_home_folder(tmp_path):
    home = fake_java_home(tmp_path / "jdk", "17.0.11")
    check = check_java(_lookup(tmp_path, JAVA_HOME=str(home)), INSTALL)
    assert (check.status, check.detail) == (Status.OK, f"17.0.11 at {home} (JAVA_HOME)")


def test_a_java_home_without_java_fails_and_names_the_java_to_use(tmp_path):
    (tmp_path / "empty").mkdir()
    good = fake_java_home(tmp_path / "jvm" / "java-11", "11.0.22")
    check = check_java(_lookup(tmp_path, JAVA_HOME=str(tmp_path / "empty")), INSTALL)
    assert check.status is Status.FAIL
    assert f"JAVA_HOME={tmp_path / 'empty'} has no working bin/java" in check.detail
    assert check.fix == f"export JAVA_HOME={good}"
    assert not check.blocks_start, "`up` starts without Java: only batch runs need it"


def test_a_java_home_spark_does_not_run_on_fails(tmp_path):
    home = fake_java_home(tmp_path / "jdk-21", "21.0.3")
    check = check_java(_lookup(tmp_path, JAVA_HOME=str(home)), INSTALL)
    assert check.status is Status.FAIL
    assert "Java 21.0.3" in check.detail
    assert "runs on Java 8, 11, 17" in check.detail
    assert check.fix == INSTALL


def test_missing_java_fails_with_the_install_line(tmp_path):
    check = check_java(_lookup(tmp_path), INSTALL)
    assert check.status is Status.FAIL
    assert "no Java runtime on PATH" in check.detail
    assert check.fix == INSTALL


def test_a_java_spark_would_not_find_by_itself_is_a_warning_with_the_export(tmp_path):
    home = fake_java_home(tmp_path / "jvm" / "java-17")
    check = check_java(_lookup(tmp_path), INSTALL)
    assert check.status is Status.WARN
    assert str(home) in check.detail
    assert check.fix == f"for other commands: export JAVA_HOME={home}"


def test_a_taken_port_fails_naming_the_option_that_moves_the_component():
    free = free_port()
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        checks = check_ports(
            "127.0.0.1", [("AWS emulator", taken, "--moto-port"), ("ingest API", free, "--x")]
        )
    assert [c.status for c in checks] == [Status.FAIL, Status.OK]
    assert f"127.0.0.1:{taken}" in checks[0].detail
    assert "--moto-port" in checks[0].fix
    assert checks[1].detail == "free for the ingest API"


def test_disk_space_is_checked_where_the_lake_will_be_even_before_it_exists(tmp_path):
    lake = tmp_path / "not" / "yet" / "lake"
    (ok,) = check_disk(str(lake), scratch=tmp_path, fail_below=0, warn_below=0)
    assert ok.status is Status.OK
    assert f"for the lake ({lake})" in ok.detail
    (short,) = check_disk(str(lake), scratch=tmp_path, fail_below=10**6 * GIB)
    assert short.status is Status.FAIL
    assert "--lake or --state-dir" in short.fix


def test_an_s3_lake_needs_local_space_only_for_sparks_scratch(tmp_path):
    (check,) = check_disk("s3://acme-lake/prod", scratch=tmp_path, fail_below=0, warn_below=0)
    assert "Spark's scratch space" in check.detail


def test_one_line_per_check_with_the_fix_unless_it_is_fine():
    text = render(
        [
            Check("Java", Status.OK, "17.0.15", fix="unused"),
            Check("port 8000", Status.FAIL, "in use", fix="pass --ingest-port"),
        ]
    )
    assert text.splitlines() == [
        "ok    Java       17.0.15",
        "FAIL  port 8000  in use; fix: pass --ingest-port",
    ]


def test_the_kcl_daemon_check_names_the_fetch_when_its_jars_are_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(jars, "CACHE", tmp_path / "jars")
    missing = check_kcl_jars()
    assert missing.status is Status.FAIL
    assert "amazon-kinesis-client-multilang:3.1.3" in missing.detail
    assert "devstack.jars fetch kcl" in missing.detail
    folder = jars.folder("kcl")
    folder.mkdir(parents=True)
    (folder / "amazon-kinesis-client-multilang-3.1.3.jar").write_bytes(b"")
    (folder / jars.COMPLETE).write_text("")
    found = check_kcl_jars()
    assert (found.status, found.detail) == (Status.OK, f"MultiLangDaemon jars in {folder} (1)")
