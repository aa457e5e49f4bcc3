"""NFC readers driven directly by nfcpy: PN532 boards (UART/I2C), PN533/ACR122 on USB.

nfcpy's ``ContactlessFrontend.connect`` senses every ``sense_interval_s``
(nfcpy's default, 0.5 s, is too slow for a door), calls us when a tag is
activated, then keeps checking that the tag is still in the field and returns
when it leaves. Its ``udp`` driver talks to a simulated target in the tests.

A reader given the site's DESFire read keys (``desfire_keys``) reads an ISO-DEP card
that answers GetVersion natively with `hardware.desfire.read_secure`, through
nfcpy's ISO 14443-4 block protocol (`nfc_transport`), and reports as the PC/SC
reader does: the secure credential, or a `BadRead` with its reason and the UID seen,
never the UID as a badge. Other tags (MIFARE Classic, Ultralight, a phone) give
their UID.

Note: pcscd and nfcpy fight over the same USB reader; use one or the other.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from hardware.desfire.errors import CardError, CardGone
from hardware.readers.base import EventSink, Reader
from station.config.reader import ReaderConfig
from station.credential import Credential

if TYPE_CHECKING:
    from hardware.desfire import ReadKeys

log = logging.getLogger(__name__)

RETRY_S = 1.0  # between attempts to open a device that is gone


class NfcReader(Reader):
    """A reader on nfcpy device path ``device`` ('usb', 'tty:AMA0:pn532', 'udp', ...)."""

    def __init__(
        self,
        reader_id: str,
        config: ReaderConfig,
        on_event: EventSink,
        *,
        device: str,
        read_keys: ReadKeys | None = None,
    ) -> None:
        super().__init__(reader_id, config, on_event)
        self.device = device
        self._read_keys = read_keys  # None: UIDs only
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._discovered_at: float | None = None

    def _open(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"nfc {self.reader_id}", daemon=True)
        self._thread.start()

    def _shutdown(self) -> None:
        self._stop.set()
        if self._thread is not None:
            # nfcpy checks `terminate` between sense rounds (about 1 s on udp).
            self._thread.join(timeout=5)

    def _run(self) -> None:
        import nfc  # imported here: nfcpy pulls in pyusb and pyserial

        while not self._stop.is_set():
            try:
                frontend = nfc.ContactlessFrontend(self.device)
            except (OSError, ValueError) as exc:  # ENODEV, EACCES, a bad path
                self._set_available(False, f"cannot open {self.device!r}: {exc}")
                self._stop.wait(RETRY_S)
                continue
            try:
                self._set_available(True, str(frontend))
                self._serve(frontend)
            except Exception as exc:  # never let the thread die: report and retry
                log.exception("nfc reader %s failed", self.reader_id)
                self._set_available(False, f"unexpected error: {exc}")
            finally:
                frontend.close()
            self._stop.wait(RETRY_S)

    def _serve(self, frontend: Any) -> None:
        # ISO 14443 A (MIFARE, NTAG, DESFire) and B; the udp test target only does A.
        targets = ("106A",) if self.device.startswith("udp") else ("106A", "106B")
        options = {
            "targets": targets,
            "on-discover": self._on_discover,
            "on-connect": self._on_connect,
            "on-release": self._on_release,
            "interval": self.config.sense_interval_s,
            "iterations": 1,  # so that `terminate` is checked after each sense round
            "beep-on-connect": False,  # the agent's buzzer speaks, not the reader's
        }
        while not self._stop.is_set():
            result = frontend.connect(rdwr=options, terminate=self._stop.is_set)
            if result is False and not self._stop.is_set():
                # connect() returns False when the device failed (nfcpy logged the IOError).
                self._set_available(False, f"{self.device!r} stopped answering")
                return

    def _on_discover(self, target: Any) -> bool:
        self._discovered_at = time.monotonic()
        return True

    def _on_connect(self, tag: Any) -> bool:
        try:
            uid = Credential.uid(bytes(tag.identifier))
        except ValueError as exc:
            self._bad_read(str(exc))
            return False
        try:
            credential = self._credential(tag, uid)
        except CardError as exc:  # the card did not prove itself: never its UID as a badge
            self._bad_read(exc.detail, exc.reason, uid)
            return True  # one bad read a tap: nfcpy waits until the card leaves
        except CardGone as exc:
            self._bad_read(str(exc), uid=uid)
            return True
        self._card_present(credential, self._discovered_at)
        return True  # nfcpy now waits while the tag stays in the field

    def _credential(self, tag: Any, uid: Credential) -> Credential:
        """The secure credential of a DESFire when the reader has the read keys, else
        the UID (a Type 2 tag, an ISO-DEP card that does not speak DESFire)."""
        if self._read_keys is None:
            return uid
        # imported here, as nfc itself: nfc_transport imports nfcpy
        from hardware.desfire import read_secure
        from hardware.readers.desfire_probe import speaks_desfire
        from hardware.readers.nfc_transport import NfcTransport, is_iso_dep

        if not is_iso_dep(tag):
            return uid
        transport = NfcTransport(tag)
        if not speaks_desfire(transport):
            return uid
        return read_secure(transport, self._read_keys).credential

    def _on_release(self, tag: Any) -> bool:
        self._card_removed()
        return True
