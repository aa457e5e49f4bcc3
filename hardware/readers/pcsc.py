"""PC/SC readers through pcscd (ACS ACR122U, ACR1252U, ...), with pyscard's scard API.

Event-driven: one thread per reader blocks in ``SCardGetStatusChange`` with an
infinite timeout (zero CPU while idle) and is woken by pcscd when a card comes
or goes, or when readers are plugged in or out (the PnP pseudo-reader). When
pcscd stops or the reader is unplugged, the reader reports itself unavailable
and keeps trying to come back, without restarting the process.

The UID is read with the PC/SC 2.01 GET DATA command ``FF CA 00 00 00``; the
answer's status word and length are checked and anything else is a bad read,
never a badge.

A reader given the site's DESFire read keys (``desfire_keys``) reads a card that
speaks DESFire (an ISO 14443-4 card answering GetVersion natively) with
`hardware.desfire.read_secure`: it reports the card's secure credential, or a
`BadRead` with the failure's reason (``auth_failed``, ``bad_read``) and the UID
seen, never the UID as a badge. Other cards (MIFARE Classic, a phone, a bank card)
are read by their UID as without keys (docs/hardware.md).
"""

from __future__ import annotations

import logging
import threading
import time

from smartcard import scard

from hardware.desfire import ReadKeys, read_secure
from hardware.desfire.errors import CardError, CardGone
from hardware.readers.base import EventSink, Reader
from hardware.readers.pcsc_transport import (
    GET_UID,
    UID_LENGTHS,
    PcscTransport,
    connected,
    is_storage_card,
    matches,
    parse_uid_answer,
)
from hardware.readers.pcsc_transport import error_text as _error
from station.config.reader import ReaderConfig
from station.credential import Credential

__all__ = ["GET_UID", "UID_LENGTHS", "PcscReader", "matches", "parse_uid_answer"]

log = logging.getLogger(__name__)

PNP_READER = "\\\\?PnP?\\Notification"
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


class PcscReader(Reader):
    """The first PC/SC reader whose name matches ``pattern`` (e.g. ``ACR122``)."""

    def __init__(
        self,
        reader_id: str,
        config: ReaderConfig,
        on_event: EventSink,
        *,
        pattern: str,
        read_keys: ReadKeys | None = None,
    ) -> None:
        super().__init__(reader_id, config, on_event)
        self.pattern = pattern
        self._read_keys = read_keys  # None: UIDs only
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
        uid: Credential | None = None
        try:
            with connected(context, name) as (transport, atr):
                try:
                    uid = transport.uid()
                except ValueError as exc:
                    self._bad_read(str(exc))
                    return
                credential = self._credential(transport, atr, uid)
        except CardError as exc:  # the card did not prove itself: never its UID as a badge
            self._bad_read(exc.detail, exc.reason, uid)
            return
        except CardGone as exc:
            self._bad_read(str(exc), uid=uid)
            return
        self._card_present(credential, at)

    def _credential(self, transport: PcscTransport, atr: bytes, uid: Credential) -> Credential:
        """The secure credential of a DESFire when the reader has the read keys, else
        the UID (a storage card, a card that does not speak DESFire)."""
        if self._read_keys is None or is_storage_card(atr) or not transport.speaks_desfire():
            return uid
        return read_secure(transport, self._read_keys).credential
