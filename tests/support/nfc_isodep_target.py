"""A simulated ISO 14443-4 card (NFC-A, ISO-DEP) for nfcpy's ``udp`` driver, carrying
the APDUs of a tests/support/desfire_card.py `DesfireCard`.

On top of `NfcTarget`'s anti-collision it says SAK 0x20 (ISO 14443-4 compliant), so
that nfcpy activates a Type 4 tag: it answers RATS with an ATS, then the block
protocol of ISO/IEC 14443-4 §7 as a PICC does: I-blocks (chained both ways), R(ACK)
and R(NAK) (retransmission, nfcpy's presence check), S(DESELECT). Each complete
command APDU goes to the card's `transmit`. The udp driver carries frames without
CRC_A (it is a radio with no bit errors), so none is added or checked; a PICC's
frame sizes still count the two CRC bytes, as nfcpy does.
"""

from __future__ import annotations

from tests.support.desfire_card import DesfireCard
from tests.support.nfc_target import NfcTarget

FRAME_SIZES = (16, 24, 32, 40, 48, 64, 96, 128, 256)  # FSCI / FSDI 0..8
RATS = 0xE0
READ = 0x30
I_BLOCK, R_ACK, R_NAK, S_DESELECT = 0x02, 0xA2, 0xB2, 0xC2
CHAINING = 0x10
CID_OR_NAD = 0x0C
PROLOGUE_AND_CRC = 3  # PCB + CRC_A: what a frame carries besides its information


class IsoDepTarget(NfcTarget):
    """`present_card(card)` puts a DESFire in the field, `remove()` takes it away.

    ``frame_size``: the card's FSC (in its ATS) and the largest frame it sends, so that
    a small one makes both sides chain. ``fwi``: the frame waiting time integer in the
    ATS (FWT = 302 µs × 2^FWI); it bounds how long nfcpy waits for each block, hence
    how soon it sees the card gone; a real DESFire says 8 (77 ms), the default leaves
    room for a loaded test machine.
    """

    sens_res = b"\x44\x03"  # ATQA of a DESFire with a double size UID
    sak = 0x20  # ISO 14443-4 compliant, not a Type 2 tag

    def __init__(self, port: int = 0, *, frame_size: int = 64, fwi: int = 11) -> None:
        if frame_size not in FRAME_SIZES or not 0 <= fwi <= 14:
            raise ValueError(f"frame_size {frame_size} not in {FRAME_SIZES} or fwi {fwi}")
        self.card: DesfireCard | None = None
        self.frame_size = frame_size
        self.fwi = fwi
        self.frames: list[bytes] = []  # every block received after RATS, for assertions
        self._reset()
        super().__init__(port)

    def present_card(self, card: DesfireCard) -> None:
        card.selected, card.channel = card.picc, None  # powered up by the field: no session
        self._reset()  # in ISO 14443-3 IDLE, it ignores blocks meant for the card before
        self.card = card
        self.present(card.uid.hex())

    def remove(self) -> None:
        super().remove()
        self.card = None

    def _reset(self) -> None:
        self._active = False
        self._fsd = FRAME_SIZES[0]
        self._block = 1  # the PICC's block number starts at 1 (ISO/IEC 14443-4 rule C)
        self._last = b""
        self._command = bytearray()
        self._chunks: list[bytes] = []

    def _ats(self) -> bytes:
        # TL, T0 (TA TB TC present, FSCI), TA (same bit rate both ways), TB (FWI, SFGI 1),
        # TC (CID supported), one historical byte (0x80: none that matter)
        t0 = 0x70 | FRAME_SIZES.index(self.frame_size)
        return bytes([6, t0, 0x77, self.fwi << 4 | 0x01, 0x02, 0x80])

    def _answer(self, cmd: bytes) -> bytes | None:
        if self.uid is None or self.card is None:
            return None
        if cmd in (b"\x26", b"\x52"):  # a new activation: back to ISO 14443-3
            self._reset()
        if not self._active:
            if len(cmd) == 2 and cmd[0] == RATS:
                self._reset()
                self._active = True
                self._fsd = FRAME_SIZES[min(cmd[1] >> 4, 8)]
                return self._ats()
            return None if cmd[:1] == bytes([READ]) else super()._answer(cmd)
        self.frames.append(cmd)
        return self._block_answer(cmd)

    def _block_answer(self, cmd: bytes) -> bytes | None:
        pcb, number = cmd[0], cmd[0] & 0x01
        if pcb & CID_OR_NAD:
            return None  # nfcpy sends neither CID nor NAD: this target knows no other
        if pcb & 0xE2 == I_BLOCK:
            return self._information(cmd, number)
        if pcb & 0xE6 == R_ACK:
            if number == self._block:
                return self._last  # the PCD did not get our last block: again
            if pcb & 0x10:  # R(NAK) of another number: "are you there?" (rule 12)
                return self._send(bytes([R_ACK | self._block]), self._block)
            return self._next_chunk(number) if self._chunks else None
        if pcb & 0xF7 == S_DESELECT:
            self._active = False
            return bytes([S_DESELECT])
        return None  # S(WTX) from a PCD, RFU: a PICC stays silent

    def _information(self, cmd: bytes, number: int) -> bytes | None:
        self._command += cmd[1:]
        if cmd[0] & CHAINING:
            return self._send(bytes([R_ACK | number]), number)
        apdu, self._command = bytes(self._command), bytearray()
        assert self.card is not None
        answer = self.card.transmit(apdu)
        if not answer:  # the card vanished (DesfireCard's vanish_after): the field is empty
            self.remove()
            return None
        size = min(self.frame_size, self._fsd) - PROLOGUE_AND_CRC
        self._chunks = [answer[i : i + size] for i in range(0, len(answer), size)]
        return self._next_chunk(number)

    def _next_chunk(self, number: int) -> bytes:
        chunk = self._chunks.pop(0)
        pcb = I_BLOCK | number | (CHAINING if self._chunks else 0)
        return self._send(bytes([pcb]) + chunk, number)

    def _send(self, block: bytes, number: int) -> bytes:
        self._block, self._last = number, block
        return block
