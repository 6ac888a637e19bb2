# syntax=docker/dockerfile:1.7
# salesflow images. One file, four targets, all from the same source and the same lock file:
#   service (default)  the ingest API; also runs `salesflow compact` and `salesflow serve`
#   lambda             the speed-layer handlers and the CSV loader (AWS Lambda container image)
#   kcl                the KCL MultiLangDaemon with speed_layer.kcl_processor as its record processor
#   emr-artifacts      the nightly job's Python environment archive and code for EMR Serverless
# Runtime dependencies are pinned by requirements/dev.lock used as a constraints file: the
# versions the tests ran with, without the dev and spark extras. See docs/deploy.md.

ARG PYTHON_VERSION=3.11

# --- the project as a wheel ---------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY contract/ contract/
COPY ingest_api/ ingest_api/
COPY speed_layer/ speed_layer/
COPY batch_layer/ batch_layer/
COPY serving/ serving/
COPY devstack/ devstack/
COPY salesflow/ salesflow/
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# --- service: the ingest API (and compaction, serving) on ECS Fargate -------------------------
FROM python:${PYTHON_VERSION}-slim AS service
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN groupadd --system --gid 10001 salesflow \
    && useradd --system --uid 10001 --gid salesflow --home-dir /home/salesflow --create-home \
       --shell /usr/sbin/nologin salesflow
COPY requirements/dev.lock /tmp/constraints.txt
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    pip install --constraint /tmp/constraints.txt /wheels/salesflow-*.whl \
    && rm /tmp/constraints.txt
USER salesflow
WORKDIR /home/salesflow
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["salesflow", "api", "--sink", "kinesis", "--host", "0.0.0.0"]

# --- lambda: one image, the handler chosen by the function's image_config command ------------
FROM public.ecr.aws/lambda/python:${PYTHON_VERSION} AS lambda
COPY requirements/dev.lock /tmp/constraints.txt
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    pip install --no-cache-dir --constraint /tmp/constraints.txt --target "${LAMBDA_TASK_ROOT}" \
        /wheels/salesflow-*.whl \
    && rm /tmp/constraints.txt
CMD ["speed_layer.lambda_handlers.kinesis_handler"]

# --- kcl: the Java MultiLangDaemon from Maven Central, the Python processor from the wheel ----
FROM maven:3.9-eclipse-temurin-17 AS kcl-jars
ARG KCL_VERSION=2.6.0
WORKDIR /build
RUN printf '%s\n' \
    '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>' \
    '<groupId>dev.salesflow</groupId><artifactId>kcl-jars</artifactId><version>1</version>' \
    '<dependencies><dependency><groupId>software.amazon.kinesis</groupId>' \
    "<artifactId>amazon-kinesis-client-multilang</artifactId><version>${KCL_VERSION}</version>" \
    '</dependency></dependencies></project>' > pom.xml \
    && mvn --batch-mode --quiet dependency:copy-dependencies -DoutputDirectory=/jars

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

# --- emr-artifacts: `docker build --target emr-artifacts --output dist/emr .` ----------------
# EMR Serverless 7.x runs Amazon Linux 2023 with Python 3.9; the job needs 3.11. Following AWS's
# guide for other Python versions, Python is built from source on the same OS, copied into a venv
# (`--copies`, plus its standard library) and packed with venv-pack for `spark.archives`.
FROM public.ecr.aws/amazonlinux/amazonlinux:2023 AS emr-env
ARG PYTHON_FULL_VERSION=3.11.10
RUN dnf install --assumeyes gcc make tar gzip openssl-devel bzip2-devel libffi-devel zlib-devel \
        xz-devel sqlite-devel \
    && curl --fail --silent --show-error --location \
        "https://www.python.org/ftp/python/${PYTHON_FULL_VERSION}/Python-${PYTHON_FULL_VERSION}.tgz" \
        | tar xz -C /tmp \
    && cd "/tmp/Python-${PYTHON_FULL_VERSION}" \
    && ./configure --prefix=/opt/python \
    && make --jobs "$(nproc)" \
    && make install \
    && dnf clean all
COPY requirements/dev.lock /tmp/constraints.txt
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    /opt/python/bin/python3.11 -m venv --copies /env \
    && cp -r /opt/python/lib/python3.11/* /env/lib/python3.11/ \
    && /env/bin/pip install --no-cache-dir --constraint /tmp/constraints.txt \
        /wheels/salesflow-*.whl venv-pack \
    && /env/bin/venv-pack --force --prefix /env --output /pyspark_env.tar.gz

FROM scratch AS emr-artifacts
COPY --from=emr-env /pyspark_env.tar.gz /
COPY batch_layer/emr/entrypoint.py /

# The default target (last stage): the ingest API image.
FROM service
