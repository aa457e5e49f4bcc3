"""`station demo` end to end: its own broker, sync, the agents; badges tapped from outside."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db import AccessEvent, Visit, make_engine
from tests.support.config import write_config
from tests.support.net import free_port

STATION = [sys.executable, "-m", "station.cli.main"]


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


def _wait_for(predicate, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


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
        assert _wait_for(lambda: all(s.exists() for s in sockets)), "agents did not start"

        def tap(reader: str, uid: str) -> None:
            subprocess.run(
                [*STATION, "--config", str(config), "reader", "tap", "--reader", reader, uid],
                check=True,
                timeout=30,
            )

        def granted_once_grants_arrive() -> bool:
            tap("front-door", "04F6A7B8")  # Inès: a coworking resident, 24/7
            return _wait_for(
                lambda: ("front-door", "granted", "granted") in _events(site_url), timeout=3
            )

        assert _wait_for(granted_once_grants_arrive, timeout=90)
        tap("laser-cutter", "04B2C3D4")  # Lucas: not trained
        tap("front-door", "04FFFFFF")  # nobody's badge
        assert _wait_for(
            lambda: (
                {
                    ("laser-cutter", "denied", "training_missing"),
                    ("front-door", "denied", "unknown_badge"),
                }
                <= set(_events(site_url))
            )
        )
        if with_kiosk:
            kiosk_socket = tmp_path / "var" / "sim" / "entrance.sock"
            assert _wait_for(kiosk_socket.exists), "the kiosk did not start"
            # The site already holds the demo's three months of history (demo_history).
            before = _visits(site_url)
            tap("entrance", "04F6A7B8")  # Inès checks in at the kiosk
            assert _wait_for(lambda: _visits(site_url) == before + 1)
    finally:
        demo.send_signal(signal.SIGTERM)
        output, _ = demo.communicate(timeout=60)
    text = output.decode(errors="replace")
    assert demo.returncode == 0, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    # Every child (broker, sync, agents) is gone with the demo.
    leftover = subprocess.run(["pgrep", "-f", str(config)], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
