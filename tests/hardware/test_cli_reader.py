"""`station reader watch` and `station reader tap`, as separate processes."""

from __future__ import annotations

import datetime as dt
import json
import queue
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import station_argv
from tests.support.config import write_config

TIMEOUT = 10.0


def station(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        station_argv(config, *args),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


class Watch:
    """A running `station reader watch`, its JSON lines read in a thread."""

    def __init__(self, config: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            station_argv(config, "reader", "watch", *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def next(self) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=TIMEOUT)
        except queue.Empty:
            raise AssertionError("no line from `station reader watch`") from None
        record: dict[str, Any] = json.loads(line)
        assert dt.datetime.fromisoformat(record["at"]).tzinfo is not None
        return record

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(TIMEOUT)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        overrides={
            "kiosks": {"entrance": {"reader": {"path": "keyboard:stdin"}}},
            "agents": {
                "front-door": {"reader": {"debounce_s": 0.2}},
                "laser-cutter": {"reader": {"debounce_s": 0.2}},
            },
        },
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_tap_into_a_running_watch(config: Path, signum: int) -> None:
    watch = Watch(config, "--reader", "front-door", "--reader", "laser-cutter")
    try:
        ready = {watch.next()["reader"], watch.next()["reader"]}
        assert ready == {"front-door", "laser-cutter"}

        done = station("reader", "tap", "--reader", "front-door", "04a1b2c3", config=config)
        assert done.returncode == 0, done.stderr
        presented = watch.next()
        presented.pop("at")
        assert presented == {
            "event": "presented",
            "reader": "front-door",
            "credential": {"kind": "uid", "hex": "04A1B2C3"},
        }
        removed = watch.next()  # after the debounce window
        assert (removed["event"], removed["reader"]) == ("removed", "front-door")

        assert (
            station(
                "reader",
                "tap",
                "--reader",
                "laser-cutter",
                "--hold",
                "04112233445566",
                config=config,
            ).returncode
            == 0
        )
        held = watch.next()
        assert (held["event"], held["credential"]["hex"]) == ("presented", "04112233445566")
        assert (
            station(
                "reader", "tap", "--reader", "laser-cutter", "--remove", config=config
            ).returncode
            == 0
        )
        assert watch.next()["event"] == "removed"
    finally:
        rc = watch.stop(signum)
    assert rc == 0, watch.process.stderr.read() if watch.process.stderr else ""
    assert not (config.parent / "var" / "sim" / "front-door.sock").exists()

    late = station("reader", "tap", "--reader", "front-door", "04A1B2C3", config=config)
    assert late.returncode == 1
    assert "no simulated reader listens" in late.stderr


def test_watch_and_tap_refuse_unknown_readers(config: Path) -> None:
    watch = station("reader", "watch", "--reader", "back-door", config=config)
    assert watch.returncode == 2
    assert "unknown reader 'back-door'" in watch.stderr and "front-door" in watch.stderr
    tap = station("reader", "tap", "--reader", "back-door", "01020304", config=config)
    assert tap.returncode == 2


def test_tap_refuses_a_reader_that_is_not_simulated(config: Path) -> None:
    tap = station("reader", "tap", "--reader", "entrance", "01020304", config=config)
    assert tap.returncode == 2
    assert "not simulated" in tap.stderr


def test_tap_refuses_a_malformed_uid(config: Path) -> None:
    tap = station("reader", "tap", "--reader", "front-door", "xyz", config=config)
    assert tap.returncode == 2
    assert "not a hexadecimal UID" in tap.stderr


def test_tap_a_secure_badge_and_a_failed_secure_read(config: Path) -> None:
    watch = Watch(config, "--reader", "front-door")
    try:
        assert watch.next()["event"] == "available"
        value = "00112233445566778899AABBCCDDEEFF"
        done = station("reader", "tap", "--reader", "front-door", f"secure:{value}", config=config)
        assert done.returncode == 0, done.stderr
        presented = watch.next()
        assert presented["credential"] == {"kind": "secure", "hex": value}
        assert watch.next()["event"] == "removed"
        failed = station(
            "reader", "tap", "--reader", "front-door", "--fail", "auth_failed", "04a1b2c3",
            config=config,
        )  # fmt: skip
        assert failed.returncode == 0, failed.stderr
        record = watch.next()
        assert (record["event"], record["reason"]) == ("bad_read", "auth_failed")
        assert record["uid"] == {"kind": "uid", "hex": "04A1B2C3"}
    finally:
        watch.stop()
