"""`station deploy`: write from `config.toml` what a real site needs."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from station.cli.context import Context


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("deploy", help="write a site's deployment files")
    kinds = parser.add_subparsers(dest="deploy_kind", metavar="WHAT", required=True)
    broker = kinds.add_parser(
        "broker",
        help="mosquitto.conf, ACL, password file, site CA and broker certificate",
    )
    broker.add_argument("--out", metavar="DIR", type=Path, required=True, help="where to write")
    broker.add_argument(
        "--port",
        type=int,
        default=None,
        help="TLS listener port (default: [mqtt] port when tls = true, else 8883)",
    )
    broker.add_argument(
        "--renew",
        action="store_true",
        help="new passwords, keys and certificates (every device must be deployed again)",
    )
    broker.set_defaults(handler=run_broker)


def run_broker(args: argparse.Namespace, ctx: Context) -> int:
    from station.deploy.broker import deploy_broker

    result = deploy_broker(
        ctx.config, args.out, datetime.now(UTC), port=args.port, renew=args.renew
    )
    ctx.output_one(
        {
            "out": str(result.out),
            "port": result.port,
            "accounts": list(result.accounts),
            "max_queued_messages": result.max_queued_messages,
            "changed": list(result.changed),
        }
    )
    return 0
