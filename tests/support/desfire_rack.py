"""Virtual DESFire cards on vpcd's readers for the tests of the product's secure reads
(the reader, `station badge issue|format`), with the site keys they are issued with.

`CardRack` makes the cards, issues them in process (through the card's own
`transmit`, no pcscd) when a test only needs a card already issued, and takes every
card off its reader at the end, waiting until pcscd sees the readers empty.
"""

from __future__ import annotations

from typing import Any

from hardware.desfire import SiteKeys, issue
from tests.support import pcsc
from tests.support.desfire_card import DesfireCard

SITE_KEYS = SiteKeys(
    issue_master=bytes.fromhex("0F1E2D3C4B5A69788796A5B4C3D2E1F0"),
    read_master=bytes.fromhex("00112233445566778899AABBCCDDEEFF"),
    aid=bytes.fromhex("1017F5"),  # F51710 as NXP's tools show it, LSB first on the wire
    system_id=b"la-station",
)
OTHER_SITE = SiteKeys(
    issue_master=bytes.fromhex("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF"),
    read_master=bytes.fromhex("B0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF"),
    aid=bytes.fromhex("1017F5"),
    system_id=b"another-site",
)
VALUE = bytes.fromhex("5EC0BE57C0DE5EC0BE57C0DE5EC0BE57")
UID = bytes.fromhex("04A1B2C3D4E5F6")
_COUNTING = ("truncate_after", "vanish_after", "replay")


class CardRack:
    """The test's virtual DESFire cards; `close()` removes them all."""

    def __init__(self, info: pcsc.Pcscd) -> None:
        self.info = info
        self.cards: list[DesfireCard] = []

    def blank(self, uid: bytes = UID, **kwargs: Any) -> DesfireCard:
        card = DesfireCard(uid, **kwargs)
        self.cards.append(card)
        return card

    def issued(
        self, uid: bytes = UID, keys: SiteKeys = SITE_KEYS, value: bytes = VALUE, **kwargs: Any
    ) -> DesfireCard:
        """A card issued for the site, in process; its APDU log starts empty, and the
        knobs that count APDUs (truncate_after, vanish_after, replay) start counting
        after the issuing."""
        knobs = {name: kwargs.pop(name) for name in _COUNTING if name in kwargs}
        card = self.blank(uid, **kwargs)
        issue(card, keys, value)
        card.apdus.clear()
        card.answers.clear()
        for name, knob in knobs.items():
            setattr(card, name, knob)
        return card

    def add(self, card: DesfireCard) -> DesfireCard:
        self.cards.append(card)
        return card

    def close(self) -> None:
        for card in self.cards:
            card.remove()
        for port in {card.port for card in self.cards}:
            if port in self.info.ports and pcsc.running_pid() is not None:
                pcsc.wait_card(self.info.readers[self.info.ports.index(port)], present=False)
