"""`station deploy`: write from `config.toml` what a real site needs."""

from __future__ import annotations

import argparse
import sys
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
    for kind, what in (("agent", "an agent id of [agents]"), ("kiosk", "a kiosk id of [kiosks]")):
        device = kinds.add_parser(
            kind,
            help=f"the {kind}'s bundle: env file (its broker account), CA certificate",
        )
        device.add_argument("device_id", metavar="ID", help=what)
        device.add_argument(
            "--out",
            metavar="DIR",
            type=Path,
            required=True,
            help="the broker's deploy directory; the bundle goes to DIR/devices/<account>/",
        )
        device.add_argument(
            "--installed-in",
            metavar="PATH",
            type=Path,
            default=Path("/etc/station"),
            help="where the bundle is copied on the device (default: /etc/station)",
        )
        device.set_defaults(handler=run_device, device_kind=kind)
    units = kinds.add_parser(
        "units",
        help="systemd units: every agent, kiosk, sync, and the daily retention purge",
    )
    units.add_argument("--out", metavar="DIR", type=Path, required=True, help="where to write")
    units.add_argument(
        "--station",
        metavar="PATH",
        default="/opt/station/.venv/bin/station",
        help="the station executable the units run (default: /opt/station/.venv/bin/station)",
    )
    units.set_defaults(handler=run_units)


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
            "notices": list(result.notices),
        }
    )
    for notice in result.notices:
        print(f"station deploy broker: {notice}", file=sys.stderr)
    return 0


def run_device(args: argparse.Namespace, ctx: Context) -> int:
    from station.deploy.device import DeviceKind, deploy_device

    bundle = deploy_device(
        ctx.config,
        args.out,
        DeviceKind(args.device_kind),
        args.device_id,
        datetime.now(UTC),
        installed_in=args.installed_in,
    )
    ctx.output_one(
        {
            "device": bundle.device,
            "account": bundle.account,
            "bundle": str(bundle.directory),
            "env_file": str(bundle.env_file),
            "changed": list(bundle.changed),
        }
    )
    return 0


def run_units(args: argparse.Namespace, ctx: Context) -> int:
    from station.deploy.units import deploy_units

    result = deploy_units(ctx.config, args.out, station=args.station)
    ctx.output_one(
        {"out": str(result.out), "units": list(result.units), "changed": list(result.changed)}
    )
    return 0
