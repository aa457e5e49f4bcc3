"""Whether a card on any `Transport` speaks DESFire, the readers' test before a secure
read: a card answering GetVersion natively (91 xx) is judged by `read_secure`, whatever
it says next; a card answering otherwise (6D 00: a phone, a bank card) is read by its
UID. Shared by the PC/SC and nfcpy readers."""

from __future__ import annotations

from hardware.desfire.apdu import SW1_DESFIRE, Command, Transport, wrap

_VERSION_FRAMES = 3  # GetVersion answers in three frames: hardware, software, production


def speaks_desfire(transport: Transport) -> bool:
    """GetVersion's first frame decides; the rest of its frames is taken, so that the
    card is ready for the next command. `CardGone` passes through."""
    answer = transport.transmit(wrap(Command.GET_VERSION))
    if len(answer) < 2 or answer[-2] != SW1_DESFIRE:
        return False
    for _ in range(_VERSION_FRAMES):
        if answer[-2:] != bytes([SW1_DESFIRE, Command.ADDITIONAL_FRAME]):
            break
        answer = transport.transmit(wrap(Command.ADDITIONAL_FRAME))
    return True
