"""`salesflow serve [--engine duckdb|athena] [--host] [--port] [--lake URI]`: the query API and
the live dashboard.

Everything else comes from `SALESFLOW_*` settings. With DuckDB the lake must be a local folder
(`SALESFLOW_LAKE_URI`, default `.salesflow/lake`); with Athena the Glue database, workgroup and
results bucket must exist (Terraform creates them).
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
from serving.app import create_app

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine", choices=["duckdb", "athena"], help="default: SALESFLOW_SERVING_ENGINE or duckdb"
    )
    parser.add_argument("--host", help="default: SALESFLOW_SERVE_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, help="default: SALESFLOW_SERVE_PORT or 8080")
    parser.add_argument("--lake", help="lake URI; default SALESFLOW_LAKE_URI")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])


def run(args: argparse.Namespace) -> int:
    configure_logging(args.log_level)
    try:
        settings = settings_with(
            serving_engine=args.engine,
            serve_host=args.host,
            serve_port=args.port,
            lake_uri=args.lake,
        )
    except ValidationError as error:
        print(f"salesflow serve: invalid settings:\n{error}")
        return 2
    logger.info(
        "starting the query API and dashboard",
        extra={
            "engine": settings.serving_engine,
            "host": settings.serve_host,
            "port": settings.serve_port,
        },
    )
    print(f"Dashboard: http://{settings.serve_host}:{settings.serve_port}/")
    uvicorn.run(
        InternalRoutes(
            TrustedHosts(create_app(settings), settings.trusted_hosts(settings.serve_host)),
            proxied_allowed=settings.proxied_internal_routes,
        ),
        host=settings.serve_host,
        port=settings.serve_port,
        log_config=None,
        access_log=False,
    )
    return 0
