"""APDUs to an ISO-DEP card activated by nfcpy: the `hardware.desfire` Transport.

nfcpy activates an ISO 14443-4 card (SAK bit 0x20, or any NFC-B card) as a
`nfc.tag.tt4.Type4Tag`, sends RATS and runs the block protocol (I-blocks with
chaining, R(ACK)/R(NAK) retransmission, waiting time extensions) itself; its
``transceive`` carries one command APDU and returns the response APDU. That works on
chipsets that let the host exchange raw frames with the card (PN531/PN532/PN533,
ACR122U in direct mode, RC-S380); docs/hardware.md lists the readers that do not.
"""

from __future__ import annotations

from typing import Any

import nfc.clf
import nfc.tag

from hardware.desfire.errors import CardGone

ISO_DEP_TAG = "Type4Tag"  # nfcpy's `Tag.type` of an activated ISO 14443-4 card


def is_iso_dep(tag: Any) -> bool:
    """Whether nfcpy activated `tag` as an ISO-DEP card (which may take APDUs)."""
    return bool(getattr(tag, "type", None) == ISO_DEP_TAG)


class NfcTransport:
    """`transmit` = one APDU through nfcpy's ISO-DEP initiator; any failure of the link
    (the card left the field, a block-protocol error, the reader gone) is `CardGone`."""

    def __init__(self, tag: Any) -> None:
        self._tag = tag

    def transmit(self, apdu: bytes) -> bytes:
        try:
            answer = self._tag.transceive(bytearray(apdu))
        except (nfc.tag.TagCommandError, nfc.clf.CommunicationError, OSError) as exc:
            raise CardGone(f"the card did not answer: {exc}") from exc
        if answer is None:
            raise CardGone("the card did not answer")
        return bytes(answer)
