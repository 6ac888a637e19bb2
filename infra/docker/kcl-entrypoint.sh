#!/bin/sh
# Starts the KCL MultiLangDaemon for the salesflow stream. The daemon reads a properties file,
# not the environment, so this writes one from the task's settings (the same SALESFLOW_* values
# every component gets) into /tmp, the task's only writable path, and hands over to Java.
set -eu

: "${SALESFLOW_STREAM_NAME:?set SALESFLOW_STREAM_NAME (Terraform's salesflow_environment)}"
: "${SALESFLOW_AWS_REGION:?set SALESFLOW_AWS_REGION (Terraform's salesflow_environment)}"
: "${KCL_APPLICATION_NAME:?set KCL_APPLICATION_NAME, the DynamoDB lease table name}"

properties=/tmp/kcl.properties
cat > "$properties" <<PROPERTIES
executableName = python -m speed_layer.kcl_processor
streamName = ${SALESFLOW_STREAM_NAME}
applicationName = ${KCL_APPLICATION_NAME}
regionName = ${SALESFLOW_AWS_REGION}
AWSCredentialsProvider = DefaultCredentialsProvider
processingLanguage = python/3.11
initialPositionInStream = TRIM_HORIZON
retrievalMode = POLLING
shutdownGraceMillis = 20000
PROPERTIES

exec java -cp "/opt/kcl/jars/*" software.amazon.kinesis.multilang.MultiLangDaemon \
    --properties-file "$properties"
