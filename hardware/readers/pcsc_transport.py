"""APDUs to a card on a PC/SC reader (pyscard's scard API): the `Transport` the DESFire
code talks through, the card's UID and whether it speaks DESFire.

`PcscTransport.transmit` is one ``SCardTransmit`` on the connected card; any failure
(the card taken off the reader, reset, the reader unplugged, pcscd gone) raises
`CardGone`, which a secure read reports as a bad read. `wait_for_card` is for the
commands that personalise a card (`station badge issue|format`): it waits, up to a
timeout, for a card on the named reader and hands it over connected.
"""

from __future__ import annotations

import contextlib
import fnmatch
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from smartcard import scard

from hardware.desfire.errors import CardGone
from hardware.exc import HardwareError, ReaderUnavailable
from hardware.readers.desfire_probe import speaks_desfire
from station.credential import Credential

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
UID_LENGTHS = (4, 7, 10)  # single, double and triple size ISO 14443-3 UIDs
# PC/SC part 3: a storage card's ATR carries the RID A0 00 00 03 06 (MIFARE Classic,
# Ultralight...): it takes no APDU, so it is read by its UID without asking more.
_STORAGE_CARD = bytes.fromhex("804F0CA000000306")
_PROTOCOLS = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1


class NoCard(HardwareError, TimeoutError):
    """No card came onto the reader in time."""


def error_text(hresult: int) -> str:
    return f"{scard.SCardGetErrorMessage(hresult)} (0x{hresult & 0xFFFFFFFF:08X})"


def matches(pattern: str, name: str) -> bool:
    """Case-insensitive glob if the pattern has wildcards, else a substring match."""
    pattern, name = pattern.lower(), name.lower()
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(name, pattern)
    return pattern in name


def parse_uid_answer(answer: list[int] | bytes) -> Credential:
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


def is_storage_card(atr: bytes) -> bool:
    return _STORAGE_CARD in atr


class PcscTransport:
    """The `hardware.desfire` Transport over a card connected with ``SCardConnect``."""

    def __init__(self, card: int, protocol: int) -> None:
        self._card = card
        self._protocol = protocol

    def transmit(self, apdu: bytes) -> bytes:
        hresult, answer = scard.SCardTransmit(self._card, self._protocol, list(apdu))
        if hresult != scard.SCARD_S_SUCCESS:
            raise CardGone(f"the card did not answer: {error_text(hresult)}")
        return bytes(answer)

    def uid(self) -> Credential:
        """The anti-collision UID (PC/SC GET DATA); `ValueError` saying why if none
        (its status and length, never the card's bytes: the reason goes into events)."""
        return parse_uid_answer(self.transmit(bytes(GET_UID)))

    def speaks_desfire(self) -> bool:
        """Whether the card answers GetVersion natively (`desfire_probe`)."""
        return speaks_desfire(self)


@contextlib.contextmanager
def connected(context: int, reader_name: str) -> Iterator[tuple[PcscTransport, bytes]]:
    """The card on `reader_name`, connected shared, with its ATR; left in the field
    (not reset) on exit. `CardGone` if it cannot be connected."""
    hresult, card, protocol = scard.SCardConnect(
        context, reader_name, scard.SCARD_SHARE_SHARED, _PROTOCOLS
    )
    if hresult != scard.SCARD_S_SUCCESS:
        raise CardGone(f"cannot connect to the card: {error_text(hresult)}")
    try:
        hresult, _name, _state, _protocol, atr = scard.SCardStatus(card)
        atr_bytes = bytes(atr) if hresult == scard.SCARD_S_SUCCESS else b""
        yield PcscTransport(card, protocol), atr_bytes
    finally:
        scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)


@dataclass(frozen=True)
class PresentCard:
    reader_name: str
    atr: bytes
    transport: PcscTransport


@contextlib.contextmanager
def wait_for_card(
    pattern: str,
    timeout_s: float,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[PresentCard]:
    """The card put on the first PC/SC reader matching `pattern` within `timeout_s`,
    connected. `ReaderUnavailable` if pcscd or the reader is not there, `NoCard` on
    timeout, `CardGone` if the card left before it could be connected."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        raise ReaderUnavailable(f"pcscd not reachable: {error_text(hresult)}")
    try:
        name = _find_reader(context, pattern)
        deadline = clock() + timeout_s
        state = scard.SCARD_STATE_UNAWARE
        while True:
            left_ms = max(0, int((deadline - clock()) * 1000))
            hresult, changes = scard.SCardGetStatusChange(context, left_ms, [(name, state)])
            if hresult == scard.SCARD_E_TIMEOUT:
                raise NoCard(f"no card on {name} within {timeout_s:g} s")
            if hresult != scard.SCARD_S_SUCCESS:
                raise ReaderUnavailable(f"{name}: {error_text(hresult)}")
            _reader, state, _atr = changes[0]
            state &= ~scard.SCARD_STATE_CHANGED
            if state & scard.SCARD_STATE_PRESENT and not state & scard.SCARD_STATE_MUTE:
                break
            if clock() >= deadline:
                raise NoCard(f"no card on {name} within {timeout_s:g} s")
        with connected(context, name) as (transport, atr):
            yield PresentCard(name, atr, transport)
    finally:
        scard.SCardReleaseContext(context)


def _find_reader(context: int, pattern: str) -> str:
    hresult, names = scard.SCardListReaders(context, [])
    found = sorted(n for n in names if matches(pattern, n)) if hresult == 0 else []
    if not found:
        listed = ", ".join(names) if hresult == scard.SCARD_S_SUCCESS and names else "none"
        raise ReaderUnavailable(f"no PC/SC reader matching {pattern!r} (readers: {listed})")
    return found[0]
