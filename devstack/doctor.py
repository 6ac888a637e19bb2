"""`salesflow doctor`: whether this machine can run `salesflow up`, one line per check with the fix.

It takes `up`'s options (ports, state folder, lake, `--no-emulator`), so it checks what `up` with
the same options would need: Python and Spark, Java for batch runs (version, JAVA_HOME), every
component's port, disk space for the lake and Spark's scratch space, and the AWS emulator; with
`--no-emulator`, the AWS credentials, the region and every resource the stack uses by name.
The exit status is 1 when any check fails, so scripts and CI can gate on it.
"""

from __future__ import annotations

import argparse
import sys

from devstack.aws_checks import check_credentials, check_region, check_resources
from devstack.checks import (
    Check,
    Status,
    check_disk,
    check_emulator,
    check_java,
    check_kcl_jars,
    check_ports,
    check_python,
    render,
)
from devstack.host import install_hint
from devstack.java import JavaLookup, find_java
from devstack.stack_options import LOOPBACK, StackConfig, add_stack_arguments, stack_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_stack_arguments(parser)


def cheap_checks(config: StackConfig, java: JavaLookup) -> list[Check]:
    """The checks that need no network: `salesflow up` runs them before starting anything."""
    checks = [check_python(), check_java(java, install_hint("java"))]
    checks += check_ports(LOOPBACK, config.ports())
    checks += check_disk(config.settings.lake_uri)
    if config.moto_port is not None:
        checks.append(check_emulator())
    else:
        checks += [check_credentials(), check_region(config.settings)]
    if config.consumer == "kcl":
        checks.append(check_kcl_jars())
    return checks


def all_checks(config: StackConfig) -> list[Check]:
    """The cheap checks, then (against AWS) each resource, unless there is nothing to sign with."""
    checks = cheap_checks(config, find_java())
    if config.moto_port is None:
        if any(c.name == "AWS credentials" and c.status is Status.FAIL for c in checks):
            checks.append(
                Check("AWS resources", Status.WARN, "not checked without credentials", "see above")
            )
        else:
            checks += check_resources(config.settings)
    return checks


def run(args: argparse.Namespace) -> int:
    try:
        config = stack_config(args)
    except ValueError as error:
        print(f"salesflow doctor: {error}", file=sys.stderr)
        return 2
    against = "AWS (--no-emulator)" if config.moto_port is None else "the AWS emulator"
    print(f"salesflow doctor: can `salesflow up` run here, against {against}?", flush=True)
    checks = all_checks(config)
    print(render(checks))
    failed = sum(check.status is Status.FAIL for check in checks)
    warned = sum(check.status is Status.WARN for check in checks)
    if failed:
        print(f"{failed} failed, {warned} to look at: fix them, then run `salesflow doctor` again")
        return 1
    print(f"all good ({warned} to look at)" if warned else "all good")
    return 0
