#!/usr/bin/env bash
# Creates or refreshes .venv with every Python package the project needs, and installs the few
# Debian packages the tests and the local stack use when they are missing. Idempotent: `make`
# calls it whenever pyproject.toml or the lock file is newer than the virtualenv's stamp.
set -euo pipefail
cd "$(dirname "$0")/.."

want_system_packages="${1:-runtime}"   # runtime | test

apt_install() {
    local missing=("$@")
    [ "${#missing[@]}" -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    # Wait for another apt run (unattended upgrades, a parallel job) instead of failing at once.
    local wait_for_lock=(-o DPkg::Lock::Timeout=600)
    $sudo apt-get "${wait_for_lock[@]}" update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get "${wait_for_lock[@]}" install -y -qq \
        --no-install-recommends "${missing[@]}"
}

system_missing=()
command -v java >/dev/null 2>&1 || system_missing+=(openjdk-17-jre-headless)
if [ "$want_system_packages" = "test" ]; then
    command -v chromium >/dev/null 2>&1 || system_missing+=(chromium)
fi
apt_install "${system_missing[@]+"${system_missing[@]}"}"

python_bin="${PYTHON:-python3}"
"$python_bin" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || { echo "bootstrap: Python 3.11 or newer is required (found $("$python_bin" --version))" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
    "$python_bin" -m venv .venv
fi
if [ ! -x .venv/bin/uv ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check uv
fi
# Precompiled bytecode: child processes (API, poller, moto) start in ~3 s instead of ~10 s when
# PYTHONDONTWRITEBYTECODE is set, as it is on CI machines.
.venv/bin/uv pip sync --quiet --compile-bytecode --python .venv/bin/python requirements/dev.lock
.venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e .
touch .venv/.stamp

# checkov (the Terraform security scan of tests/unit/infra) pins dependencies that conflict with
# the project's, so it gets a virtualenv of its own.
checkov_version=3.3.30
if [ "$want_system_packages" = "test" ] \
    && [ "$(.venv-checkov/bin/checkov --version 2>/dev/null)" != "$checkov_version" ]; then
    "$python_bin" -m venv .venv-checkov
    .venv/bin/uv pip install --quiet --python .venv-checkov/bin/python "checkov==$checkov_version"
fi
