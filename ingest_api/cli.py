"""`salesflow api [--sink memory|kinesis|sqs] [--host] [--port]`: the ingest API alone.

Everything else comes from `SALESFLOW_*` settings, e.g. `SALESFLOW_AWS_ENDPOINT_URL` to talk to
a moto server. The stream or queue must exist already (Terraform or the devstack creates it).
"""

from __future__ import annotations

import argparse
import logging

import uvicorn
from pydantic import ValidationError

from contract.internal_routes import InternalRoutes
from contract.settings import settings_with
from contract.structured_logging import configure_logging
from contract.trusted_hosts import TrustedHosts
from ingest_api.app import create_app
from ingest_api.local_key import local_api_key

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sink", choices=["memory", "kinesis", "sqs"], help="default: SALESFLOW_SINK or kinesis"
    )
    parser.add_argument("--host", help="default: SALESFLOW_INGEST_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, help="default: SALESFLOW_INGEST_PORT or 8000")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_with(sink=args.sink, ingest_host=args.host, ingest_port=args.port)
    except ValidationError as error:
        print(f"salesflow api: invalid settings:\n{error}")
        return 2
    configure_logging(args.log_level, sample_rate=settings.log_sample_rate)
    if not settings.api_keys:
        key, api_key, path = local_api_key(settings.state_dir)
        settings = settings.model_copy(update={"api_keys": [api_key]})
        print(f"No SALESFLOW_API_KEYS set: use the development key {key} (stored in {path})")
    logger.info(
        "starting the ingest API",
        extra={"sink": settings.sink, "host": settings.ingest_host, "port": settings.ingest_port},
    )
    uvicorn.run(
        InternalRoutes(
            TrustedHosts(create_app(settings), settings.trusted_hosts(settings.ingest_host)),
            proxied_allowed=settings.proxied_internal_routes,
        ),
        host=settings.ingest_host,
        port=settings.ingest_port,
        log_config=None,
        access_log=False,
    )
    return 0
