"""MIFARE DESFire EV1/EV2/EV3 AES secure badges: the reader's side (issue 14).

A `Transport` carries APDUs; `read_secure` reads a badge with the site's read keys,
`issue` and `format_card` personalise and erase cards with all the site's keys.
Every failure raises a `CardError` subclass carrying a `ReadFailure` reason.
"""

from hardware.desfire.apdu import Transport
from hardware.desfire.card import Generation, SecureRead, read_secure
from hardware.desfire.errors import CardError, CardGone, DesfireError, IssueError, SecureReadError
from hardware.desfire.issuing import format_card, issue
from hardware.desfire.layout import KeyPurpose, ReadKeys, SiteKeys

__all__ = [
    "CardError",
    "CardGone",
    "DesfireError",
    "Generation",
    "IssueError",
    "KeyPurpose",
    "ReadKeys",
    "SecureRead",
    "SecureReadError",
    "SiteKeys",
    "Transport",
    "format_card",
    "issue",
    "read_secure",
]
