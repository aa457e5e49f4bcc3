"""A real mosquitto broker started for the tests."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from tests.support.net import free_port, wait_listening

# A killed test run (timeout, ^C twice) must not leave brokers behind: util-linux's
# setpriv sets the parent-death signal, then execs mosquitto (no preexec_fn, which
# is unsafe with threads).
_DIE_WITH_PARENT = ["setpriv", "--pdeathsig", "TERM"] if shutil.which("setpriv") else []


@dataclass(frozen=True)
class BrokerAddress:
    """Where the tests' broker listens."""

    host: str
    port: int


# Where a test that uses no broker has its configuration point: TCP port 1 (tcpmux)
# has no listener on the machines that run the suite, so a connection is refused at
# once, and a developer's own broker on 1883 never sees the tests' messages.
NO_BROKER = BrokerAddress("127.0.0.1", 1)


class Mosquitto:
    """A mosquitto process of its own on a fixed port, which a test may stop and start.

    The port is chosen once, so clients reconnect to the same address after `start()`.
    With ``persistence=True`` the broker saves sessions and retained messages on a
    clean `stop()` (not on `kill()`), as a production broker does.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        port: int | None = None,
        persistence: bool = False,
        extra_config: str = "",
    ) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise FileNotFoundError("mosquitto is not installed (apt-get install mosquitto)")
        self.binary = binary
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._own_dir = directory is None
        self.directory = (
            Path(tempfile.mkdtemp(prefix="mosquitto-")) if directory is None else directory
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log_path = self.directory / "mosquitto.log"
        self.config_path = self.directory / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            f"persistence {'true' if persistence else 'false'}",
            f"persistence_location {self.directory}/",
            "max_queued_messages 100000",
            "log_dest stderr",
        ]
        if os.geteuid() == 0:
            lines.append("user root")  # else it drops to 'mosquitto', who can't write here
        self.config_path.write_text("\n".join(lines) + "\n" + extra_config)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress(self.host, self.port)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start the broker (no-op when running) and wait until it listens."""
        if self.running:
            return
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [*_DIE_WITH_PARENT, self.binary, "-c", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not wait_listening(self.port, timeout):
            self.stop()
            raise RuntimeError(
                f"mosquitto did not listen on port {self.port}: "
                f"{self.log_path.read_text(errors='replace')[-2000:]}"
            )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the broker and wait until the port is closed; safe twice."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        wait_listening(self.port, 5.0, state=False)

    def kill(self) -> None:
        """Stop abruptly, as a crash would (no persistence saved)."""
        self.stop(signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Mosquitto:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
