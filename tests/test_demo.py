"""`station demo` end to end: its own broker, sync, the agents; badges tapped from outside;
the staff console opened with the login the demo prints."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db import AccessEvent, Visit, make_engine
from station.demo.data import PEOPLE
from tests.support.config import write_config
from tests.support.net import free_port, listening
from tests.support.wait import wait_for

STATION = [sys.executable, "-m", "station.cli.main"]
INES = next(p for p in PEOPLE if p.first_name == "Inès")  # a coworking resident, 24/7
# The demo is a dozen processes starting on a busy machine: wait long, poll gently.
SLOW, POLL = 60.0, 0.2
# What the demo prints of its console (station.cli.demo._start_console).
CONSOLE_LOGIN = re.compile(
    r"Staff console: (?P<url>http://\S+/)\s+log in as (?P<email>\S+), password (?P<password>\S+)"
)


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


class _Output:
    """The demo's output, read as it comes (the test needs the login it prints)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        self._stream = process.stdout
        self._chunks: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self._stream:
            self._chunks.append(line)

    def text(self) -> str:
        return b"".join(self._chunks).decode(errors="replace")

    def close(self, timeout: float) -> str:
        self._reader.join(timeout)
        return self.text()


def _log_in_to_the_console(output: _Output, port: int) -> None:
    """/login with the printed email and password (the CSRF token from the form), then
    the dashboard, as a browser would."""
    wait_for(
        lambda: CONSOLE_LOGIN.search(output.text()) is not None,
        timeout=SLOW,
        interval=POLL,
        what="the console's login to be printed",
    )
    printed = CONSOLE_LOGIN.search(output.text())
    assert printed is not None
    assert printed["url"] == f"http://127.0.0.1:{port}/"
    wait_for(lambda: listening(port), timeout=SLOW, interval=POLL, what="the console to listen")
    with httpx.Client(base_url=printed["url"], timeout=30) as client:
        form = client.get("/login")
        assert form.status_code == 200, form.text
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None, form.text
        answer = client.post(
            "/login",
            data={"csrf": token[1], "email": printed["email"], "password": printed["password"]},
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/"
        dashboard = client.get("/")
        assert dashboard.status_code == 200, dashboard.text
        assert "Tableau de bord" in dashboard.text
        assert 'id="people"' in dashboard.text


@pytest.mark.skipif(not Path("/usr/sbin/mosquitto").exists(), reason="needs mosquitto")
def test_demo_runs_a_whole_site_and_stops_cleanly(tmp_path: Path) -> None:
    # The demo's processes run on the wall clock: what is checked holds at any hour
    # (the resident's plan opens the front door day and night; the training and the
    # unknown badge are checked before any hour). .ci/run runs it again at 23:30 Paris.
    config = write_config(tmp_path, mqtt_port=free_port())
    site_url = f"sqlite:///{tmp_path / 'site.db'}"
    with_kiosk = shutil.which("Xvfb") is not None  # the demo gives it a virtual screen
    web_port = free_port()
    demo = subprocess.Popen(
        [
            *STATION,
            *("--config", str(config), "demo", "--web-port", str(web_port)),
            *([] if with_kiosk else ["--no-kiosk"]),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "DISPLAY": ""},
        start_new_session=True,
    )
    output = _Output(demo)
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
            tap("front-door", INES.secure_tap)  # her 24/7 plan asks for her secure badge
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
        tap("laser-cutter", "04B2C3D4")  # Lucas: not trained, so not in its cache
        tap("front-door", "04FFFFFF")  # nobody's badge
        tap("front-door", INES.uid)  # her plain UID: not enough for a 24/7 plan
        wait_for(
            lambda: (
                {
                    ("laser-cutter", "denied", "unknown_badge"),
                    ("front-door", "denied", "unknown_badge"),
                    ("front-door", "denied", "secure_required"),
                }
                <= set(_events(site_url))
            ),
            timeout=SLOW,
            interval=POLL,
            what="the three refusals",
        )
        if with_kiosk:
            kiosk_socket = tmp_path / "var" / "sim" / "entrance.sock"
            wait_for(kiosk_socket.exists, timeout=SLOW, interval=POLL, what="the kiosk to start")
            # The site already holds the demo's three months of history (station.demo.history).
            before = _visits(site_url)
            tap("entrance", INES.uid)  # Inès checks in at the kiosk: her UID is enough there
            wait_for(
                lambda: _visits(site_url) == before + 1,
                timeout=SLOW,
                interval=POLL,
                what="the check-in",
            )
        _log_in_to_the_console(output, web_port)
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
    text = output.close(timeout=10)
    assert demo.returncode == 0, text[-3000:]
    assert "Traceback" not in text, text[-3000:]
    # Every child (broker, sync, agents) is gone with the demo.
    leftover = subprocess.run(["pgrep", "-f", str(config)], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
