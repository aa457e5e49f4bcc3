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
    server = kinds.add_parser(
        "server",
        help="the site server's bundle: sync's secrets.env, CA certificate, the site's keys",
    )
    server.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        required=True,
        help="the broker's deploy directory; the bundle goes to DIR/devices/server/",
    )
    server.add_argument(
        "--installed-in",
        metavar="PATH",
        type=Path,
        default=Path("/etc/station"),
        help="where the bundle is copied on the site server (default: /etc/station)",
    )
    server.add_argument(
        "--central-host",
        metavar="HOST",
        default=None,
        help="central's address as the site reaches it, in STATION_CENTRAL_URL "
        "(default: the configured one; as `station deploy central --host`)",
    )
    server.set_defaults(handler=run_server)
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
    central = kinds.add_parser(
        "central",
        help="a site's PostgreSQL role and row-level security at central; prints its URL",
    )
    central.add_argument("--site", metavar="ID", required=True, help="the site's id")
    central.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        default=None,
        help="keep the role's password in DIR/secrets/central-<site>.password (0600); "
        "without it, the password is printed once, when the role is made",
    )
    central.add_argument(
        "--renew",
        action="store_true",
        help="a new password for the role (the site's STATION_CENTRAL_URL must change)",
    )
    central.add_argument(
        "--host",
        default=None,
        help="central's address as the site reaches it (default: the configured one)",
    )
    central.set_defaults(handler=run_central)


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


def run_server(args: argparse.Namespace, ctx: Context) -> int:
    from station.deploy.server import deploy_server
    from sync.rights import site_role

    bundle = deploy_server(
        ctx.config,
        args.out,
        datetime.now(UTC),
        site_role=site_role,
        central_host=args.central_host,
        installed_in=args.installed_in,
    )
    ctx.output_one(
        {
            "bundle": str(bundle.directory),
            "env_file": str(bundle.env_file),
            "central_url": bundle.central_url,
            "changed": list(bundle.changed),
        }
    )
    if not bundle.central_url:
        print(
            f"station deploy server: no STATION_CENTRAL_URL in {bundle.env_file}; run "
            f"`station deploy central --site {ctx.config.site.id} --out {args.out}`, then "
            "this again",
            file=sys.stderr,
        )
    return 0


def run_units(args: argparse.Namespace, ctx: Context) -> int:
    from station.deploy.units import deploy_units

    result = deploy_units(ctx.config, args.out, station=args.station)
    ctx.output_one(
        {"out": str(result.out), "units": list(result.units), "changed": list(result.changed)}
    )
    return 0


def run_central(args: argparse.Namespace, ctx: Context) -> int:
    from station.db import make_engine
    from station.deploy.central import deploy_central
    from sync import rights

    config = ctx.config
    engine = make_engine(config.resolve_url(config.central.url))
    try:
        result = deploy_central(
            rights, engine, args.site, out=args.out, renew=args.renew, host=args.host
        )
    finally:
        engine.dispose()
    if ctx.json_output:
        ctx.output_one(
            {
                "site": result.site,
                "role": result.role,
                "url": result.url,
                "password_file": None
                if result.password_file is None
                else str(result.password_file),
                "created": result.created,
                "new_password": result.new_password,
            }
        )
    else:  # one line, as the site's /etc/station/secrets.env takes it (no table to wrap it)
        made = "made" if result.created else "new password" if result.new_password else "kept"
        print(f"station deploy central: role {result.role} ({made})", file=sys.stderr)
        print(f"STATION_CENTRAL_URL={result.url}")
    if result.password_file is None and not result.new_password:
        print(
            f"station deploy central: the role {result.role} keeps its password (printed "
            "when it was made; --renew for a new one), so the URL above has none",
            file=sys.stderr,
        )
    return 0
