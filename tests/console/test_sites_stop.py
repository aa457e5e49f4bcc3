"""`station web` stops within seconds while a live site page is open: its stream of
server-sent events never ends by itself, and uvicorn would wait for it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.console.conftest import csrf_of
from tests.support.cli import station_argv
from tests.support.net import free_port, wait_listening

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def test_station_web_stops_with_a_live_page_open(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    env = {**os.environ, "STATION_CENTRAL_URL": f"sqlite:///{tmp_path}/central.db"}

    def station(*args: str, stdin: str = "") -> None:
        argv = station_argv(config, *args)
        subprocess.run(argv, env=env, input=stdin, text=True, check=True, capture_output=True)

    station("db", "upgrade", "--central")
    station("web", "user", "add", "admin@example.org", "--role", "admin", stdin=PASSWORD + "\n")
    port = free_port()
    web = subprocess.Popen(
        station_argv(config, "web", "--port", str(port)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_listening(port, timeout=30)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=False) as client:
            token = csrf_of(client.get("/login").text)
            client.post(
                "/login", data={"email": "admin@example.org", "password": PASSWORD, "csrf": token}
            )
            with client.stream("GET", "/sites/gare/live", timeout=30) as stream:
                lines = stream.iter_lines()
                assert next(lines) == "retry: 2000"
                asked = time.monotonic()
                web.send_signal(signal.SIGTERM)
                web.wait(timeout=20)
                assert time.monotonic() - asked < 10
    finally:
        if web.poll() is None:
            web.kill()
            web.wait()
