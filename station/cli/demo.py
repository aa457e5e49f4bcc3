"""`station demo`: a whole site on this machine, with simulated readers and pins."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

from station.cli.context import Context
from station.config import StationConfig

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.orm import Session

    from station.supervisor import Supervisor


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo", help="run a whole site here: broker, sync, agents, kiosk (simulated hardware)"
    )
    parser.add_argument("--no-kiosk", action="store_true", help="do not open the kiosk window")
    parser.add_argument("--fullscreen", action="store_true", help="kiosk in full screen")
    parser.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace, ctx: Context) -> int:
    from rich.table import Table

    from station.demo_data import PEOPLE, UNKNOWN_UID
    from station.supervisor import Supervisor

    config = ctx.config
    _prepare_databases(config)
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
        table.add_row(UNKNOWN_UID, "—", "unknown badge")
        ctx.console.print(table)
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
    from sqlalchemy.orm import Session

    from station.db import make_engine, upgrade
    from station.demo_data import seed_people
    from station.demo_history import seed_history
    from station.seed import seed_site
    from sync import central
    from sync.down import sync_down

    now = now or dt.datetime.now(dt.UTC)
    # Central first: the people reach the site through sync, as they would in production.
    central_url = config.resolve_url(config.central.url)
    upgrade(central_url)
    central_engine = make_engine(central_url)
    try:
        with central.session(central_engine) as session:
            seed_site(session, config)
            seed_people(session, config.site_key)
            # Three months of check-ins and machine sessions, once (station/demo_history.py).
            seed_history(session, config, now)
        site_url = config.resolve_url(config.database.url)
        upgrade(site_url)
        site_engine = make_engine(site_url)
        try:
            with Session(site_engine) as session, session.begin():
                seed_site(session, config)
            # History never comes down: a site keeps its own copy of what it uploaded, and
            # the kiosk's "today" and `station report` read the site database. So the
            # people come down now (the round `station sync` would run in a moment), then
            # the site gets its copy of the history, marked uploaded like central's.
            central.stamp_unrevisioned(central_engine)
            sync_down(
                site_engine,
                central_engine,
                batch_size=config.central.batch_size,
                site_id=config.site.id,
            )
            with Session(central_engine) as source, Session(site_engine) as site, site.begin():
                _copy_history(source, site, config.site.id)
        finally:
            site_engine.dispose()
    finally:
        central_engine.dispose()


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


def _copy_history(central: Session, site: Session, site_id: str) -> int:
    """Give the site its own copy of the history central holds for it; the rows copied.

    What a site that has been running holds: the rows it uploaded, as they were
    (``uploaded_at`` included, so nothing goes up again). The people they refer to
    must have come down first (`sync.down`). Nothing is copied, and 0 returned, if
    the site already has history of its own.
    """
    from sqlalchemy import insert, select

    from station.db import AccessEvent, MachineSession, Visit

    for model in (Visit, MachineSession):
        if site.scalar(select(model.id).where(model.site_id == site_id).limit(1)) is not None:
            return 0
    copied = 0
    for table in (cast("Table", m.__table__) for m in (Visit, MachineSession, AccessEvent)):
        rows = [
            dict(row._mapping)
            for row in central.execute(
                select(table).where(table.c.site_id == site_id, table.c.uploaded_at.is_not(None))
            )
        ]
        if rows:
            site.execute(insert(table), rows)
            copied += len(rows)
    site.flush()
    return copied
