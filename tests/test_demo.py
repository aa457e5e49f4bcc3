"""`station demo` end to end: its own broker, sync, the agents; badges tapped from outside."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db import AccessEvent, Visit, make_engine
from tests.support.config import write_config
from tests.support.net import free_port
from tests.support.wait import wait_for

STATION = [sys.executable, "-m", "station.cli.main"]
# The demo is a dozen processes starting on a busy machine: wait long, poll gently.
SLOW, POLL = 60.0, 0.2


def _events(url: str) -> list[tuple[str, str, str | None]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return [
                (e.agent_id, e.type, e.reason)
                for e in session.scalars(
                    select(AccessEvent)
                    .where(AccessEvent.type.in_(["granted", "denied"]))
                    .order_by(AccessEvent.at)
                )
            ]
    except Exception:  # the site database may not exist yet
        return []
    finally:
        engine.dispose()


def _visits(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return len(session.scalars(select(Visit)).all())
    finally:
        engine.dispose()


@pytest.mark.skipif(not Path("/usr/sbin/mosquitto").exists(), reason="needs mosquitto")
def test_demo_runs_a_whole_site_and_stops_cleanly(tmp_path: Path) -> None:
    # The demo's processes run on the wall clock: what is checked holds at any hour
    # (the resident's plan opens the front door day and night; the training and the
    # unknown badge are checked before any hour). .ci/run runs it again at 23:30 Paris.
    config = write_config(tmp_path, mqtt_port=free_port())
    site_url = f"sqlite:///{tmp_path / 'site.db'}"
    with_kiosk = shutil.which("Xvfb") is not None  # the demo gives it a virtual screen
    demo = subprocess.Popen(
        [*STATION, "--config", str(config), "demo", *([] if with_kiosk else ["--no-kiosk"])],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "DISPLAY": ""},
        start_new_session=True,
    )
    try:
        # The agents' sim sockets appear once they run; grants arrive through sync.
        sockets = [
            tmp_path / "var" / "sim" / f"{name}.sock" for name in ("front-door", "laser-cutter")
        ]
        wait_for(
            lambda: all(s.exists() for s in sockets),
            timeout=SLOW,
            interval=POLL,
            what="the agents to start",
        )

        def tap(reader: str, uid: str) -> None:
            subprocess.run(
                [*STATION, "--config", str(config), "reader", "tap", "--reader", reader, uid],
                check=True,
                timeout=30,
            )

        def granted_once_grants_arrive() -> bool:
            tap("front-door", "04F6A7B8")  # Inès: a coworking resident, 24/7
            try:
                wait_for(
                    lambda: ("front-door", "granted", "granted") in _events(site_url),
                    timeout=3,
                    interval=POLL,
                )
            except AssertionError:
                return False  # no grants yet: tap again
            return True

        wait_for(granted_once_grants_arrive, timeout=90, what="the front door to grant Inès")
        tap("laser-cutter", "04B2C3D4")  # Lucas: not trained
        tap("front-door", "04FFFFFF")  # nobody's badge
        wait_for(
            lambda: (
                {
                    ("laser-cutter", "denied", "training_missing"),
                    ("front-door", "denied", "unknown_badge"),
                }
                <= set(_events(site_url))
            ),
            timeout=SLOW,
            interval=POLL,
            what="both refusals",
        )
        if with_kiosk:
            kiosk_socket = tmp_path / "var" / "sim" / "entrance.sock"
            wait_for(kiosk_socket.exists, timeout=SLOW, interval=POLL, what="the kiosk to start")
            # The site already holds the demo's three months of history (station.demo.history).
            before = _visits(site_url)
            tap("entrance", "04F6A7B8")  # Inès checks in at the kiosk
            wait_for(
                lambda: _visits(site_url) == before + 1,
                timeout=SLOW,
                interval=POLL,
                what="the check-in",
            )
    finally:
        demo.send_signal(signal.SIGTERM)
        output, _ = demo.communicate(timeout=60)
    text = output.decode(errors="replace")
    assert demo.returncode == 0, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    # Every child (broker, sync, agents) is gone with the demo.
    leftover = subprocess.run(["pgrep", "-f", str(config)], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
