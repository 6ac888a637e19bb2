# The two commands a new user needs are `make demo` and `make test`; each builds .venv itself.
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: setup demo test lint format bench mutation lock clean

LOCKS := requirements/dev.lock requirements/build.lock requirements/bootstrap.lock

$(VENV)/.stamp: pyproject.toml $(LOCKS) scripts/bootstrap.sh
	scripts/bootstrap.sh runtime

$(VENV)/.test-stamp: $(VENV)/.stamp requirements/checkov.lock
	scripts/bootstrap.sh test
	touch $@

# Spark's S3 connector and the KCL daemon too (devstack/jars.py): `salesflow up --lake s3://...`
# runs batch jobs on the first, `salesflow up --consumer kcl` the second. Without Maven it says so
# and goes on; only those two need them.
setup: $(VENV)/.stamp
	$(BIN)/python -m devstack.jars fetch s3a kcl --optional

demo: setup
	$(BIN)/salesflow up

test: $(VENV)/.test-stamp lint
	$(BIN)/python -m devstack.host check test
	$(BIN)/python -m devstack.jars fetch --optional
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

lint: $(VENV)/.stamp
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(VENV)/.stamp
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

BENCHMARKS := athena_scan batch cost_inputs customers freshness history_load ingest realtime segment serving soak speed

bench: $(VENV)/.stamp
	@for module in $(BENCHMARKS); do echo "== python -m bench.$$module"; $(BIN)/python -m bench.$$module || exit 1; done

# Not part of `make test`: about half an hour. Mutates the code that decides whether a sale counts
# (mutmut, plus the named mistakes of tests/mutation/) in a snapshot under build/mutation/ and
# writes docs/mutation.md; fails while a mutant survives unexplained (docs/testing.md).
mutation: $(VENV)/.test-stamp
	$(BIN)/python scripts/mutation.py

# Every lock carries the sha256 hashes of each pinned distribution, and every install requires
# them (scripts/bootstrap.sh, Dockerfile). uv keeps the versions an output file already pins, so
# this adds or drops what pyproject.toml changed and upgrades nothing; `make lock UPGRADE=name`
# moves one package (docs/operations.md, "Upgrading"). The images' runtime.lock is resolved under
# dev.lock, so both pin the same versions.
COMPILE := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	$(foreach package,$(UPGRADE),--upgrade-package $(package))

lock:
	$(COMPILE) --extra dev --extra spark --extra kcl pyproject.toml -o requirements/dev.lock
	$(COMPILE) --constraint requirements/dev.lock pyproject.toml -o requirements/runtime.lock
	$(COMPILE) requirements/build.in -o requirements/build.lock
	$(COMPILE) requirements/bootstrap.in -o requirements/bootstrap.lock
	$(COMPILE) requirements/checkov.in -o requirements/checkov.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
