"""A small process supervisor for `station demo`: start children, relay their output, stop them.

Children are stopped with SIGTERM (so each agent drops its relay) and killed only
if they do not stop within a grace period.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO

log = logging.getLogger(__name__)


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None


class Supervisor:
    def __init__(self, out: IO[str] | None = None, grace_s: float = 10.0) -> None:
        self.children: list[Child] = []
        self.out = out or sys.stdout
        self.grace_s = grace_s
        self._lock = threading.Lock()

    def start(self, name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> Child:
        child = Child(name, list(argv), env or {})
        child.process = subprocess.Popen(
            child.argv,
            env={**os.environ, **child.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        threading.Thread(
            target=self._relay, args=(child,), daemon=True, name=f"relay-{name}"
        ).start()
        self.children.append(child)
        return child

    def _relay(self, child: Child) -> None:
        assert child.process is not None and child.process.stdout is not None
        for raw in child.process.stdout:
            line = raw.decode(errors="replace").rstrip()
            with self._lock:
                self.out.write(f"[{child.name}] {line}\n")
                self.out.flush()

    def failed(self) -> list[Child]:
        """Children that exited on their own."""
        return [c for c in self.children if c.process is not None and c.process.poll() is not None]

    def wait(self) -> int:
        """Block until Ctrl+C / SIGTERM or a child dies; 0 on a requested stop."""
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.is_set():
                dead = self.failed()
                if dead:
                    for child in dead:
                        assert child.process is not None
                        log.error("%s exited with status %s", child.name, child.process.returncode)
                    return 1
                stop.wait(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        return 0

    def stop(self) -> None:
        """Stop children in reverse start order, each before the next: the agents
        publish their last status while the broker still runs."""
        for child in reversed(self.children):
            process = child.process
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(self.grace_s)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killing it", child.name, self.grace_s)
                process.kill()
                process.wait()

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
