"""A simulated NFC-A Type 2 tag (MIFARE Ultralight) for nfcpy's ``udp`` driver.

nfcpy's udp driver sends text datagrams ``b"106A <hex>"`` to localhost:PORT and
waits for answers of the same form. This target answers the ISO 14443-3
anti-collision (SENS, SDD, SEL, with cascade for 7-byte UIDs) and Type 2 READ,
so that ``clf.connect(rdwr=...)`` activates a MifareUltralight carrying our UID.
With no card "in the field" it stays silent, like the real radio.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from functools import reduce


def _bcc(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


class NfcTarget:
    """Listens on UDP 127.0.0.1:port; `present(uid)` / `remove()` move the tag."""

    sens_res = b"\x44\x00"  # ATQA: double size UID (bit frame anti-collision)
    sak = 0x00  # SAK of the last cascade level: Type 2 tag

    def __init__(self, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.port: int = self.sock.getsockname()[1]
        self.uid: bytes | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def present(self, uid_hex: str) -> None:
        uid = bytes.fromhex(uid_hex)
        assert len(uid) in (4, 7), "this target does single and double size UIDs"
        self.uid = uid

    def remove(self) -> None:
        self.uid = None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self._thread.join(timeout=2)

    def __enter__(self) -> NfcTarget:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        while True:
            try:
                datagram, addr = self.sock.recvfrom(1024)
            except OSError:
                return
            try:
                brty, hexdata = datagram.split()
                answer = self._answer(bytes.fromhex(hexdata.decode()))
            except ValueError:
                continue  # RFOFF and other one-word messages
            if answer is not None:
                with contextlib.suppress(OSError):
                    self.sock.sendto(brty + b" " + answer.hex().encode(), addr)

    def _answer(self, cmd: bytes) -> bytes | None:
        uid = self.uid
        if uid is None:
            return None  # empty field: nobody answers
        cl1 = (b"\x88" + uid[:3]) if len(uid) == 7 else uid[:4]
        cl2 = uid[3:7]
        if cmd in (b"\x26", b"\x52"):  # SENS_REQ / ALL_REQ
            return self.sens_res
        if cmd == b"\x93\x20":
            return cl1 + bytes([_bcc(cl1)])
        if cmd[:2] == b"\x93\x70":
            return b"\x04" if len(uid) == 7 else bytes([self.sak])  # SEL_RES: cascade bit
        if cmd == b"\x95\x20" and len(uid) == 7:
            return cl2 + bytes([_bcc(cl2)])
        if cmd[:2] == b"\x95\x70" and len(uid) == 7:
            return bytes([self.sak])
        if cmd[:1] == b"\x30" and len(cmd) == 2:  # READ 4 pages
            return self._memory()[cmd[1] * 4 : cmd[1] * 4 + 16].ljust(16, b"\x00")
        return None  # unsupported: a Type 2 tag goes mute

    def _memory(self) -> bytes:
        uid = self.uid or bytes(4)
        if len(uid) == 7:  # NXP layout: UID0-2 BCC0 | UID3-6 | BCC1 internal lock lock
            head = uid[:3] + bytes([_bcc(b"\x88" + uid[:3])]) + uid[3:7]
            lock = bytes([_bcc(uid[3:7]), 0x48, 0x00, 0x00])
        else:
            head = uid + bytes(4)
            lock = bytes([_bcc(uid), 0x48, 0x00, 0x00])
        cc = b"\xe1\x10\x06\x00"  # capability container: NDEF, 48 bytes
        return head + lock + cc + b"\x03\x00\xfe\x00" + bytes(44)
