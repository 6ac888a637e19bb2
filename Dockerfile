# syntax=docker/dockerfile:1.7@sha256:a57df69d0ea827fb7266491f2813635de6f17269be881f696fbfdf2d83dda33e
# salesflow images. One file, four targets, all from the same source and the same lock file:
#   service (default)  the ingest API; also runs `salesflow compact` and `salesflow serve`
#   lambda             the speed-layer handlers and the CSV loader (AWS Lambda container image)
#   kcl                the KCL MultiLangDaemon with speed_layer.kcl_processor as its record processor
#   emr-artifacts      the nightly job's Python environment archive and entry script for EMR
# Every package an image installs is pinned with its sha256 hashes and installed with
# `--require-hashes`: the runtime dependencies by requirements/runtime.lock (the versions the tests
# ran with in dev.lock, without the dev, spark and kcl extras), the build tools (setuptools,
# venv-pack) by requirements/build.lock. The salesflow wheel, built here from this source, goes in
# last with `--no-deps`, so nothing unhashed is fetched. To change a dependency: edit
# pyproject.toml and run `make lock` (docs/operations.md, "Upgrading"); never edit a lock by hand.
# Every pip install takes wheels only (`--only-binary=:all:`): a package without a wheel for the
# image's Python and glibc fails the build at once instead of compiling.
# tests/integration/infra/test_image_wheels.py proves, without Docker, that each base below gets a
# wheel matching a locked hash for every package its stage installs (docs/adr/0014).
#
# Every base image is pinned by the digest of its multi-platform index and built for linux/amd64,
# the architecture Terraform runs everything on (Fargate X86_64, Lambda x86_64, EMR X86_64), so
# an ARM laptop builds the same images as CI. To move a base: docs/operations.md, "Upgrading".

# --- bases ---------------------------------------------------------------------------------------
# Debian 12 (glibc 2.36), CPython 3.11: the service, KCL and wheel-building stages.
FROM --platform=linux/amd64 python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b AS python-base

# --- the project as a wheel ---------------------------------------------------------------------
# Production code only: the local stack (devstack/) is neither copied nor packaged (pyproject.toml).
FROM python-base AS wheel
WORKDIR /src
COPY requirements/build.lock /tmp/build.lock
COPY pyproject.toml README.md ./
COPY contract/ contract/
COPY ingest_api/ ingest_api/
COPY speed_layer/ speed_layer/
COPY batch_layer/ batch_layer/
COPY serving/ serving/
COPY salesflow/ salesflow/
RUN pip install --no-cache-dir --require-hashes --only-binary=:all: -r /tmp/build.lock \
    && pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels .

# --- service: the ingest API (and compaction, serving) on ECS Fargate -------------------------
FROM python-base AS service
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN groupadd --system --gid 10001 salesflow \
    && useradd --system --uid 10001 --gid salesflow --home-dir /home/salesflow --create-home \
       --shell /usr/sbin/nologin salesflow
COPY requirements/runtime.lock /tmp/runtime.lock
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    pip install --require-hashes --only-binary=:all: -r /tmp/runtime.lock \
    && pip install --no-deps --only-binary=:all: /wheels/salesflow-*.whl \
    && rm /tmp/runtime.lock
USER salesflow
WORKDIR /home/salesflow
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["salesflow", "api", "--sink", "kinesis", "--host", "0.0.0.0"]

# --- lambda: one image, the handler chosen by the function's image_config command ------------
# Amazon Linux 2023 (glibc 2.34), CPython 3.12: the Python 3.11 Lambda base is Amazon Linux 2
# (glibc 2.26), for which pyarrow publishes no wheel.
# The wheel's `--upgrade` lets its bin/ replace the dependencies' console scripts, which Lambda
# never runs (without it pip keeps the folder of the first install and warns).
FROM --platform=linux/amd64 public.ecr.aws/lambda/python:3.12@sha256:0628ddc11919f85f4261517d356392dbbc6b3181568d87a376ae2e814464c230 AS lambda
COPY requirements/runtime.lock /tmp/runtime.lock
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    pip install --no-cache-dir --require-hashes --only-binary=:all: \
        --target "${LAMBDA_TASK_ROOT}" -r /tmp/runtime.lock \
    && pip install --no-cache-dir --no-deps --only-binary=:all: --upgrade \
        --target "${LAMBDA_TASK_ROOT}" /wheels/salesflow-*.whl \
    && rm /tmp/runtime.lock
CMD ["speed_layer.lambda_handlers.kinesis_handler"]

# --- kcl: the Java MultiLangDaemon from Maven Central, the Python processor from the wheel ----
# The jars are the pinned `kcl` bundle the tests run the daemon with (requirements/maven/kcl.xml).
FROM --platform=linux/amd64 maven:3.9-eclipse-temurin-17@sha256:a8746f15d5bb26b5b8bacb056cc76211553850f4c71d16aff845cfa004cbc197 AS kcl-jars
WORKDIR /build
COPY requirements/maven/kcl.xml pom.xml
RUN mvn --batch-mode --quiet dependency:copy-dependencies -DoutputDirectory=/jars \
        -DincludeScope=runtime

# Debian 12's own Java 17 runtime (Debian 13, what python:3.11-slim now means, has none).
FROM service AS kcl
USER root
RUN apt-get update \
    && apt-get install --yes --no-install-recommends openjdk-17-jre-headless \
    && rm -rf /var/lib/apt/lists/*
COPY --from=kcl-jars /jars/ /opt/kcl/jars/
COPY infra/docker/kcl-entrypoint.sh /usr/local/bin/kcl-entrypoint
USER salesflow
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/kcl-entrypoint"]
CMD []

# --- emr-artifacts: `docker buildx build --target emr-artifacts --output dist/emr .` ----------
# EMR Serverless 7.x runs Amazon Linux 2023 (glibc 2.34) with Python 3.9; the job needs 3.11.
# Following AWS's guide for other Python versions, CPython (the service image's version, its
# source checked against its pinned sha256 and the release manager's signature) is built on the
# same OS, copied into a venv (`--copies`, plus its standard library) with the salesflow wheel and
# its pinned dependencies, and packed with venv-pack for `spark.archives`. The wheel carries the job and
# the serving layer's SQL the catalog sync runs after publishing.
FROM --platform=linux/amd64 public.ecr.aws/amazonlinux/amazonlinux:2023@sha256:12052e9b5d3fd85769abbdd863dd038e1890c9ace31d5fdbe1afa78eda97d061 AS emr-env
ARG PYTHON_FULL_VERSION=3.11.16
# The tarball's sha256, as the official python images pin it for this version: a moved version
# must move both.
ARG PYTHON_SHA256=91bcdebfdde239a003ae93738a7fce0f9230fee5c4bc2b86f6e6e8c6f98aabe8
# Pablo Galindo Salgado, release manager of CPython 3.10 and 3.11.
ARG PYTHON_GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D
RUN dnf install --assumeyes gcc make tar gzip xz gnupg2 openssl-devel bzip2-devel libffi-devel \
        zlib-devel xz-devel sqlite-devel \
    && cd /tmp \
    && curl --fail --silent --show-error --location --remote-name \
        "https://www.python.org/ftp/python/${PYTHON_FULL_VERSION}/Python-${PYTHON_FULL_VERSION}.tar.xz" \
    && curl --fail --silent --show-error --location --remote-name \
        "https://www.python.org/ftp/python/${PYTHON_FULL_VERSION}/Python-${PYTHON_FULL_VERSION}.tar.xz.asc" \
    && echo "${PYTHON_SHA256}  Python-${PYTHON_FULL_VERSION}.tar.xz" | sha256sum --check --strict \
    && GNUPGHOME="$(mktemp -d)" \
    && export GNUPGHOME \
    && gpg --batch --keyserver hkps://keys.openpgp.org --recv-keys "${PYTHON_GPG_KEY}" \
    && gpg --batch --verify "Python-${PYTHON_FULL_VERSION}.tar.xz.asc" "Python-${PYTHON_FULL_VERSION}.tar.xz" \
    && tar xJf "Python-${PYTHON_FULL_VERSION}.tar.xz" \
    && cd "Python-${PYTHON_FULL_VERSION}" \
    && ./configure --prefix=/opt/python \
    && make --jobs "$(nproc)" \
    && make install \
    && dnf clean all \
    && rm -rf /tmp/Python-* "${GNUPGHOME}"
# The packer (venv-pack, from build.lock) has a venv of its own: it stays out of what it packs.
COPY requirements/build.lock requirements/runtime.lock /tmp/
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    /opt/python/bin/python3.11 -m venv /opt/packer \
    && /opt/packer/bin/pip install --no-cache-dir --require-hashes --only-binary=:all: \
        -r /tmp/build.lock \
    && /opt/python/bin/python3.11 -m venv --copies /env \
    && cp -r /opt/python/lib/python3.11/* /env/lib/python3.11/ \
    && /env/bin/pip install --no-cache-dir --require-hashes --only-binary=:all: \
        -r /tmp/runtime.lock \
    && /env/bin/pip install --no-cache-dir --no-deps --only-binary=:all: /wheels/salesflow-*.whl \
    && /opt/packer/bin/venv-pack --force --prefix /env --output /pyspark_env.tar.gz

FROM scratch AS emr-artifacts
COPY --from=emr-env /pyspark_env.tar.gz /
COPY batch_layer/emr/entrypoint.py /

# The default target (last stage): the ingest API image.
FROM service
