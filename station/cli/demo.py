"""`station demo`: a whole site on this machine, with simulated readers and pins."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from station.cli.context import Context
from station.cli.web import DEFAULT_PORT
from station.config import StationConfig

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session

    from station.supervisor import Supervisor

# The demo's console login, printed with the badges: the console listens on the loopback
# only, and the password is the same on every machine, as the demo badges are.
DEMO_ADMIN_EMAIL = "admin@example.org"
DEMO_ADMIN_PASSWORD = "station-demo"
WEB_HOST = "127.0.0.1"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo", help="run a whole site here: broker, sync, agents, kiosk (simulated hardware)"
    )
    parser.add_argument("--no-kiosk", action="store_true", help="do not open the kiosk window")
    parser.add_argument("--fullscreen", action="store_true", help="kiosk in full screen")
    parser.add_argument(
        "--web-port",
        type=int,
        default=DEFAULT_PORT,
        metavar="PORT",
        help=f"port of the staff console, on 127.0.0.1 only (default {DEFAULT_PORT})",
    )
    parser.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace, ctx: Context) -> int:
    from rich.table import Table

    from station.demo.data import PEOPLE, UNKNOWN_UID
    from station.supervisor import Supervisor

    config = ctx.config
    _prepare_databases(config)
    with_web = _demo_admin(config, dt.datetime.now(dt.UTC))
    station = [sys.executable, "-m", "station.cli.main", "--config", str(config.source)]
    with Supervisor() as supervisor:
        if _listening(config.mqtt.host, config.mqtt.port):
            ctx.console.print(
                f"Using the broker already listening on {config.mqtt.host}:"
                f"{config.mqtt.port} (stop it, or change [mqtt].port, to let "
                f"the demo start its own)."
            )
        else:
            supervisor.start("mosquitto", _mosquitto(config))
        supervisor.start("sync", [*station, "sync"])
        for agent_id in config.agents:
            supervisor.start(agent_id, [*station, "agent", "--id", agent_id])
        web_lines = _start_console(supervisor, station, args.web_port) if with_web else _NO_WEB
        has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        kiosk_env: dict[str, str] = {}
        if not args.no_kiosk and not has_display and shutil.which("Xvfb"):
            # A virtual screen as a child of the demo, so that stopping the demo stops it.
            kiosk_env["DISPLAY"] = _start_xvfb(supervisor)
            has_display = True
            ctx.console.print(
                f"No display: the kiosk runs on a virtual screen (DISPLAY={kiosk_env['DISPLAY']})."
            )
        if not args.no_kiosk and has_display:
            for kiosk_id in config.kiosks:
                kiosk = [*station, "kiosk", "--id", kiosk_id]
                supervisor.start(
                    kiosk_id, kiosk + (["--fullscreen"] if args.fullscreen else []), env=kiosk_env
                )
        table = Table(title=f"{config.site.name}: demo badges")
        for column in ("UID", "who", "what it shows"):
            table.add_column(column)
        for person in PEOPLE:
            table.add_row(person.uid, f"{person.first_name} {person.last_name}", person.shows)
            if person.secure:
                table.add_row(person.secure_tap, "", "the same person's secure badge")
        table.add_row(UNKNOWN_UID, "—", "unknown badge")
        ctx.console.print(table)
        for line in web_lines:
            ctx.console.print(line, soft_wrap=True, highlight=False)
        readers = ", ".join([*config.kiosks, *config.agents])
        ctx.console.print(
            f"Tap a badge from another terminal: station reader tap --reader ID UID "
            f"(readers: {readers}).\n"
            + (
                ""
                if has_display or args.no_kiosk
                else "No display and no Xvfb: the kiosk is not shown.\n"
            )
            + "Ctrl+C stops the site; every relay is released."
        )
        return supervisor.wait()


_NO_WEB = ["No staff console: it needs the web extra (pip install 'station[web]')."]


def _demo_admin(config: StationConfig, now: dt.datetime) -> bool:
    """The demo's admin account at central, made once (kept as it is on later runs);
    False when the web extra is not installed."""
    try:
        import uvicorn  # noqa: F401

        import console.app  # noqa: F401  starlette, jinja2
    except ImportError:
        return False
    from console import audit
    from console.accounts import account_by_email, add_account
    from station.db import make_engine
    from station.db.staff import AuditAction, Role
    from sync import central

    engine = make_engine(config.resolve_url(config.central.url))
    try:
        with central.session(engine) as session:
            if account_by_email(session, DEMO_ADMIN_EMAIL) is None:
                add_account(session, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, Role.ADMIN, now)
                audit.record(
                    session,
                    now,
                    audit.COMMAND_LINE,
                    AuditAction.ACCOUNT_CREATED,
                    target=DEMO_ADMIN_EMAIL,
                    detail={"role": Role.ADMIN.value, "site": None},
                )
    finally:
        engine.dispose()
    return True


def _start_console(supervisor: Supervisor, station: list[str], port: int) -> list[str]:
    """`station web` on the loopback; the lines that tell how to open it."""
    if _listening(WEB_HOST, port):
        return [f"Port {port} is taken: the staff console is not started (give --web-port)."]
    supervisor.start("web", [*station, "web", "--host", WEB_HOST, "--port", str(port)])
    return [
        f"Staff console: http://{WEB_HOST}:{port}/",
        f"  log in as {DEMO_ADMIN_EMAIL}, password {DEMO_ADMIN_PASSWORD}",
    ]


def _start_xvfb(supervisor: Supervisor) -> str:
    import time

    number = next(n for n in range(90, 200) if not Path(f"/tmp/.X{n}-lock").exists())
    supervisor.start(
        "xvfb", ["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"]
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return f":{number}"


def _prepare_databases(config: StationConfig, now: dt.datetime | None = None) -> None:
    from station.demo.setup import prepare_databases

    prepare_databases(config, now or dt.datetime.now(dt.UTC), _SyncReplication(config))


class _SyncReplication:
    """`station.demo.setup.Replication` by sync, as `station sync` runs it."""

    def __init__(self, config: StationConfig) -> None:
        self.config = config

    def central_session(self, engine: Engine) -> AbstractContextManager[Session]:
        from sync import central

        return central.session(engine)

    def allocate(self, connection: Connection, count: int) -> int:
        from sync import central

        return central.allocate(connection, count)

    def bring_down(self, site: Engine, central_engine: Engine) -> None:
        from sync import central
        from sync.down import sync_down

        central.stamp_unrevisioned(central_engine)
        sync_down(
            site,
            central_engine,
            batch_size=self.config.central.batch_size,
            site_id=self.config.site.id,
        )


def _mosquitto(config: StationConfig) -> list[str]:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    state = config.resolve("var/mosquitto")
    state.mkdir(parents=True, exist_ok=True)
    conf = state / "mosquitto.conf"
    lines = [
        f"listener {config.mqtt.port} {config.mqtt.host}",
        "allow_anonymous true",
        "persistence true",
        f"persistence_location {state}/",
        # Its default of 1000 silently drops part of a QoS 1 backlog.
        "max_queued_messages 100000",
        "log_dest stdout",
    ]
    if os.geteuid() == 0:
        lines.append("user root")
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [binary, "-c", str(Path(conf))]


def _listening(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0
