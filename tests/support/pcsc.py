"""pcscd with vsmartcard's vpcd virtual readers, for tests through the real PC/SC stack.

pcscd is one per machine (its socket path is fixed): reuse a running one or start
one. vpcd, loaded by pcscd, serves ``Virtual PCD 00 00`` on TCP 35963 and
``Virtual PCD 00 01`` on 35964; a virtual card connects there (see vcard.py).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.net import listening, wait_listening
from tests.support.wait import poll, wait_for

PIDFILE = Path("/run/pcscd/pcscd.pid")
VPCD_CONFIG = Path("/etc/reader.conf.d/vpcd")
READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")
PORTS = (35963, 35964)
LOCK = Path("/tmp/station-test.lock")  # also held by tools/test for its whole run
# pcscd processes started here, reaped when stopped (no zombie, no ResourceWarning).
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class Pcscd:
    """What the tests need to know about the running pcscd."""

    readers: tuple[str, ...] = READERS
    ports: tuple[int, ...] = PORTS
    started_here: bool = False


def available() -> str | None:
    """None when pcscd and vpcd are installed, else why not (a skip message)."""
    if shutil.which("pcscd") is None and not Path("/usr/sbin/pcscd").exists():
        return "pcscd is not installed (apt-get install pcscd)"
    if not VPCD_CONFIG.exists():
        return "vpcd is not installed (apt-get install vsmartcard-vpcd)"
    return None


def running_pid() -> int | None:
    """The pid of the running pcscd, from its pid file (zombies count as gone)."""
    pid = _pidfile_pid()
    if pid is None or _gone(pid):
        return None
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None
    return pid if comm == "pcscd" else None


def _pidfile_pid() -> int | None:
    try:
        return int(PIDFILE.read_bytes().strip(b"\0 \n"))  # pcscd writes "PID\n\0"
    except (OSError, ValueError):
        return None


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def stop(timeout: float = 10.0) -> None:
    """Stop the running pcscd (SIGTERM, then SIGKILL) and wait until vpcd's port closes."""
    pid = running_pid()
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    child = _children.pop(pid, None)
    if child is not None:
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    if poll(lambda: _gone(pid), timeout, interval=0.02) is None:
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: _gone(pid), timeout, interval=0.02, what=f"pcscd {pid} to die of SIGKILL")
    # A zombie (its parent has not reaped it yet) still passes pcscd's own
    # "another pcscd is running" check: forget its pid file.
    if _pidfile_pid() == pid:
        PIDFILE.unlink(missing_ok=True)
    wait_listening(PORTS[0], timeout, state=False)


def start(log_path: Path | None = None, timeout: float = 10.0) -> None:
    """Start pcscd in the background, detached from the tests, and wait for vpcd."""
    if running_pid() is None:
        # A stale pid file naming a reused pid makes pcscd refuse to start.
        PIDFILE.unlink(missing_ok=True)
        PIDFILE.with_name("pcscd.comm").unlink(missing_ok=True)
    log = os.environ.get("STATION_TEST_PCSCD_LOG")
    path = log_path or (Path(log) if log else Path("/tmp/station-test-pcscd.log"))
    with path.open("ab") as out:
        # Its own session: it outlives the test process; tools/test (or the
        # fixture that started the first one) stops it through the pid file.
        child = subprocess.Popen(
            ["pcscd", "-f", "-a"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=_real_clock_env(),
        )
    _children[child.pid] = child
    if not wait_listening(PORTS[0], timeout):
        raise RuntimeError(f"pcscd did not open vpcd's port {PORTS[0]}; see {path}")
    wait_readers(timeout)


def _real_clock_env() -> dict[str, str]:
    """This environment without libfaketime (tools/test's STATION_TEST_FAKETIME): pcscd is
    a service, and keeps the real clock as the one tools/test started does."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("FAKETIME") and name != "DONT_FAKE_MONOTONIC"
    }
    preload = [lib for lib in env.pop("LD_PRELOAD", "").split(":") if lib and "faketime" not in lib]
    if preload:
        env["LD_PRELOAD"] = ":".join(preload)
    return env


def wait_readers(timeout: float = 10.0) -> list[str]:
    """Wait until PC/SC lists the virtual readers; return the reader names."""
    from smartcard.Exceptions import SmartcardException
    from smartcard.pcsc.PCSCExceptions import BaseSCardException
    from smartcard.System import readers

    names: list[str] = []

    def listed() -> list[str] | None:
        nonlocal names
        try:
            names = [str(reader) for reader in readers()]
        except (BaseSCardException, SmartcardException):  # pcscd not up yet
            names = []
        return names if READERS[0] in names else None

    found = poll(listed, timeout, interval=0.05)
    if found is None:
        raise RuntimeError(f"PC/SC lists {names}, not {READERS[0]!r}")
    return found


def restart() -> None:
    """Stop pcscd and start a new one (the "pcscd restarted" case)."""
    stop()
    start()


@contextmanager
def exclusive(timeout: float = 900.0) -> Iterator[None]:
    """Be the only test run using pcscd on this machine (readers are machine-wide).

    Under tools/test (STATION_TEST_PCSC set) the script already holds the lock.
    """
    if os.environ.get("STATION_TEST_PCSC"):
        yield
        return
    with LOCK.open("a") as lock:
        warned = False

        def locked() -> bool:
            nonlocal warned
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not warned:
                    print(
                        f"\nwaiting for another test run using pcscd ({LOCK})",
                        file=sys.__stderr__,
                        flush=True,
                    )
                    warned = True
                return False
            return True

        if poll(locked, timeout, interval=0.2) is None:
            raise RuntimeError(f"another test run held {LOCK} for {timeout:.0f} s")
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure() -> Pcscd:
    """Reuse a running pcscd with the virtual readers, else start one."""
    if running_pid() is not None and listening(PORTS[0]):
        wait_readers()
        return Pcscd()
    stop()  # running without vpcd (started before vsmartcard-vpcd was installed)
    start()
    return Pcscd(started_here=True)


def card_present(reader: str) -> bool:
    """Whether pcscd currently sees a card in this reader."""
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        raise RuntimeError(f"no PC/SC context: {scard.SCardGetErrorMessage(hresult)}")
    try:
        hresult, states = scard.SCardGetStatusChange(
            context, 0, [(reader, scard.SCARD_STATE_UNAWARE)]
        )
        if hresult != scard.SCARD_S_SUCCESS:
            raise RuntimeError(f"{reader}: {scard.SCardGetErrorMessage(hresult)}")
        return bool(states[0][1] & scard.SCARD_STATE_PRESENT)
    finally:
        scard.SCardReleaseContext(context)


def wait_card(reader: str, present: bool = True, timeout: float = 5.0) -> bool:
    """Wait until pcscd sees a card in (or no card in) the reader; False on timeout."""
    return poll(lambda: card_present(reader) == present, timeout, interval=0.02) is not None
