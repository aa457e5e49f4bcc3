"""PC/SC readers through pcscd (ACS ACR122U, ACR1252U, ...), with pyscard's scard API.

Event-driven: one thread per reader blocks in ``SCardGetStatusChange`` with an
infinite timeout (zero CPU while idle) and is woken by pcscd when a card comes
or goes, or when readers are plugged in or out (the PnP pseudo-reader). When
pcscd stops or the reader is unplugged, the reader reports itself unavailable
and keeps trying to come back, without restarting the process.

The UID is read with the PC/SC 2.01 GET DATA command ``FF CA 00 00 00``; the
answer's status word and length are checked and anything else is a bad read,
never a badge.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
import time

from smartcard import scard

from hardware.readers.base import EventSink, Reader
from station.config.reader import ReaderConfig
from station.credential import Credential

log = logging.getLogger(__name__)

PNP_READER = "\\\\?PnP?\\Notification"
GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
UID_LENGTHS = (4, 7, 10)  # single, double and triple size ISO 14443-3 UIDs
RETRY_S = 1.0  # between attempts to reach pcscd while it is gone
_SERVICE_GONE = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_E_INVALID_HANDLE,
    scard.SCARD_E_NO_READERS_AVAILABLE,
    scard.SCARD_F_COMM_ERROR,
}  # COMM_ERROR: pcscd's socket closed under us
_READER_GONE = {scard.SCARD_E_UNKNOWN_READER, scard.SCARD_E_READER_UNAVAILABLE}


class _ServiceGone(Exception):
    """pcscd stopped answering: start a new context."""


def _error(hresult: int) -> str:
    return f"{scard.SCardGetErrorMessage(hresult)} (0x{hresult & 0xFFFFFFFF:08X})"


def matches(pattern: str, name: str) -> bool:
    """Case-insensitive glob if the pattern has wildcards, else a substring match."""
    pattern, name = pattern.lower(), name.lower()
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(name, pattern)
    return pattern in name


def parse_uid_answer(answer: list[int]) -> Credential:
    """The credential in an answer to GET DATA; `ValueError` saying why if it is none."""
    if len(answer) < 2:
        raise ValueError(f"answer of {len(answer)} byte(s), shorter than a status word")
    sw = (answer[-2] << 8) | answer[-1]
    if sw != 0x9000:
        raise ValueError(f"status word {sw:04X}, expected 9000")
    data = bytes(answer[:-2])
    if len(data) not in UID_LENGTHS:
        raise ValueError(f"UID of {len(data)} byte(s), expected 4, 7 or 10")
    return Credential.uid(data)


class PcscReader(Reader):
    """The first PC/SC reader whose name matches ``pattern`` (e.g. ``ACR122``)."""

    def __init__(
        self, reader_id: str, config: ReaderConfig, on_event: EventSink, *, pattern: str
    ) -> None:
        super().__init__(reader_id, config, on_event)
        self.pattern = pattern
        self.reader_name: str | None = None
        self._stop = threading.Event()
        self._context: int | None = None
        self._context_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _open(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"pcsc {self.reader_id}", daemon=True
        )
        self._thread.start()

    def _shutdown(self) -> None:
        self._stop.set()
        if self._thread is None:
            return
        # SCardCancel only wakes a call in progress: repeat it in case the thread was
        # between its check of _stop and SCardGetStatusChange.
        deadline = time.monotonic() + 5
        while self._thread.is_alive() and time.monotonic() < deadline:
            with self._context_lock:
                if self._context is not None:
                    scard.SCardCancel(self._context)
            self._thread.join(timeout=0.05)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._session()
            except _ServiceGone as exc:
                self._set_available(False, str(exc))
            except Exception as exc:  # never let the thread die: report and retry
                log.exception("pcsc reader %s failed", self.reader_id)
                self._set_available(False, f"unexpected error: {exc}")
            finally:
                self._release_context()
            self._stop.wait(RETRY_S)

    def _release_context(self) -> None:
        with self._context_lock:
            context, self._context = self._context, None
        if context is not None:
            scard.SCardReleaseContext(context)

    def _session(self) -> None:
        """One pcscd connection: wait for changes until pcscd goes away or we close."""
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise _ServiceGone(f"pcscd not reachable: {_error(hresult)}")
        with self._context_lock:
            self._context = context
        if self._stop.is_set():
            return  # closed while connecting: SCardCancel came too early
        states: dict[str, int] = {PNP_READER: scard.SCARD_STATE_UNAWARE}
        self.reader_name = None  # reader names may change when pcscd restarts
        card_in = False
        while not self._stop.is_set():
            if self.reader_name is None:
                self.reader_name = self._find_reader(context)
                if self.reader_name is None:
                    self._set_available(False, f"no PC/SC reader matching {self.pattern!r}")
                else:
                    states[self.reader_name] = scard.SCARD_STATE_UNAWARE
                    card_in = False
                    self._set_available(True, self.reader_name)
            hresult, changes = scard.SCardGetStatusChange(
                context, scard.INFINITE, list(states.items())
            )
            if hresult == scard.SCARD_E_CANCELLED or self._stop.is_set():
                return
            if hresult in _SERVICE_GONE:
                raise _ServiceGone(f"pcscd went away: {_error(hresult)}")
            if hresult in _READER_GONE:
                self._reader_gone(states, "reader unplugged")
                continue
            if hresult != scard.SCARD_S_SUCCESS:
                raise _ServiceGone(f"pcscd failed in SCardGetStatusChange: {_error(hresult)}")
            for name, event_state, _atr in changes:
                states[name] = event_state & ~scard.SCARD_STATE_CHANGED
                if name != self.reader_name:
                    continue  # the PnP pseudo-reader: the loop re-lists readers if needed
                if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
                    self._reader_gone(states, "reader unplugged")
                    break
                present = bool(event_state & scard.SCARD_STATE_PRESENT)
                if present and not card_in:
                    at = time.monotonic()
                    card_in = True
                    if event_state & scard.SCARD_STATE_MUTE:
                        self._bad_read("card does not answer (mute)")
                    else:
                        self._read_card(context, name, at)
                elif not present and card_in:
                    card_in = False
                    self._card_removed()

    def _reader_gone(self, states: dict[str, int], detail: str) -> None:
        if self.reader_name is not None:
            states.pop(self.reader_name, None)
        self.reader_name = None
        self._set_available(False, detail)

    def _find_reader(self, context: int) -> str | None:
        hresult, names = scard.SCardListReaders(context, [])
        if hresult in _SERVICE_GONE - {scard.SCARD_E_NO_READERS_AVAILABLE}:
            raise _ServiceGone(f"pcscd went away: {_error(hresult)}")
        if hresult != scard.SCARD_S_SUCCESS:
            return None
        found = sorted(name for name in names if matches(self.pattern, name))
        return found[0] if found else None

    def _read_card(self, context: int, name: str, at: float) -> None:
        hresult, card, protocol = scard.SCardConnect(
            context,
            name,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if hresult != scard.SCARD_S_SUCCESS:
            self._bad_read(f"cannot connect to the card: {_error(hresult)}")
            return
        try:
            hresult, answer = scard.SCardTransmit(card, protocol, GET_UID)
        finally:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        if hresult != scard.SCARD_S_SUCCESS:
            self._bad_read(f"GET DATA failed: {_error(hresult)}")
            return
        try:
            credential = parse_uid_answer(answer)
        except ValueError as exc:
            self._bad_read(f"{exc}: {bytes(answer).hex().upper()}")
            return
        self._card_present(credential, at)
