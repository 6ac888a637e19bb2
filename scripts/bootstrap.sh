#!/usr/bin/env bash
# Creates or refreshes .venv with every Python package the project needs, after the system
# packages the local stack (`runtime`: Java for Spark's batch runs) or the tests (`test`: Java and
# Chromium) use. Idempotent: `make` calls it whenever pyproject.toml or the lock file is newer
# than the virtualenv's stamp.
#
# The system step (devstack/host.py) detects the platform and installs what is missing with
# apt-get (Debian, Ubuntu), dnf (Fedora, RHEL) or Homebrew (macOS); elsewhere, or when that fails,
# it prints the exact packages and why. A missing Java does not stop `runtime` (only batch runs
# need it); `test` stops here, before anything else, when Java or the browser is still missing.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-runtime}"   # runtime | test

python_bin="${PYTHON:-python3}"
if ! "$python_bin" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    found="$("$python_bin" --version 2>&1 || echo "no $python_bin on PATH")"
    case "$(uname -s)" in
        Darwin) how="brew install python@3.12" ;;
        *) how="your package manager (e.g. apt-get install python3.11, dnf install python3.11)" ;;
    esac
    echo "set-up: Python 3.11 or newer is required (found: $found). Install it with $how," \
        "then run make again, or point PYTHON at one: PYTHON=/path/to/python3.12 make demo" >&2
    exit 1
fi

"$python_bin" -m devstack.host install "$mode"

if [ ! -x .venv/bin/python ]; then
    "$python_bin" -m venv .venv
fi
# Every download is checked against a sha256 hash written in requirements/ (`make lock`): uv
# itself (bootstrap.lock, through pip), the environment (dev.lock, --require-hashes), and what uv
# fetches to build the two dependencies published only as source distributions (pyspark,
# amazon-kclpy) and the project itself (build.lock's setuptools and pytest-runner, as build
# constraints with --require-build-hashes, a preview feature in uv 0.13, enabled by name). A package
# without a hash, or whose download does not match one, stops the set-up.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
    --only-binary=:all: -r requirements/bootstrap.lock
build_hashes=(--build-constraints requirements/build.lock --require-build-hashes
    --preview-features build-dependency-hashes)
# Precompiled bytecode: child processes (API, poller, moto) start in ~3 s instead of ~10 s when
# PYTHONDONTWRITEBYTECODE is set, as it is on CI machines.
.venv/bin/uv pip sync --quiet --compile-bytecode --python .venv/bin/python --require-hashes \
    "${build_hashes[@]}" requirements/dev.lock
# In place and in "compat" mode: the checkout's root goes on the path, so the local stack
# (devstack/), which the wheel does not ship, imports from here with everything else. The checkout
# has no hash of its own (uv refuses it under --require-hashes), so --no-deps: dev.lock installed
# every dependency already, and nothing is fetched here but the hashed build backend.
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e . \
    --config-setting editable_mode=compat "${build_hashes[@]}"
touch .venv/.stamp

# checkov (the Terraform security scan of tests/unit/infra) pins dependencies that conflict with
# the project's, so it gets a virtualenv of its own, from its own lock, hashes required as above.
if [ "$mode" = "test" ]; then
    if [ ! -x .venv-checkov/bin/python ]; then
        "$python_bin" -m venv .venv-checkov
    fi
    .venv/bin/uv pip sync --quiet --python .venv-checkov/bin/python --require-hashes \
        "${build_hashes[@]}" requirements/checkov.lock
fi
