"""The site's card layout: diversification inputs, per-card keys, file contents."""

from __future__ import annotations

import pytest

from hardware.desfire import KeyPurpose, ReadKeys, SiteKeys, crypto, layout
from hardware.desfire.errors import CardError
from station.credential import ReadFailure
from tests.support.apdu_script import h

ISSUE, READ = bytes(range(16)), bytes(range(16, 32))
AID = h("1017F5")
UID = h("04A1B2C3D4E5F6")
SITE = SiteKeys(issue_master=ISSUE, read_master=READ, aid=AID, system_id=b"la-station")


def test_diversification_input_is_purpose_uid_aid_system_id() -> None:
    m = layout.diversification_input(KeyPurpose.READ, UID, AID, b"la-station")
    assert m == b"R" + UID + AID + b"la-station"


@pytest.mark.parametrize("uid", [h("04A1B2C3"), UID, h("04A1B2C3D4E5F6A7B8C9")])
def test_a_long_system_id_is_cut_to_31_bytes_of_input(uid: bytes) -> None:
    m = layout.diversification_input(KeyPurpose.PICC, uid, AID, b"x" * 40)
    assert len(m) == crypto.MAX_DIV_INPUT
    assert m.startswith(b"P" + uid + AID)


def test_each_key_of_a_card_differs_and_follows_an10922() -> None:
    keys = {purpose: SITE.key(purpose, UID) for purpose in KeyPurpose}
    assert len(set(keys.values())) == 3
    expected = crypto.diversify_aes128(READ, b"R" + UID + AID + b"la-station")
    assert keys[KeyPurpose.READ] == expected == SITE.read_keys().read_key(UID)
    assert SITE.key(KeyPurpose.READ, h("04A1B2C3D4E5F7")) != expected  # per card


def test_keys_never_show_in_repr() -> None:
    for shown in (repr(SITE), repr(SITE.read_keys())):
        assert ISSUE.hex() not in shown.lower() and READ.hex() not in shown.lower()
        assert "1017F5" in shown


@pytest.mark.parametrize(
    ("master", "aid", "why"),
    [(bytes(15), AID, "16 bytes"), (READ, h("1017"), "3 bytes"), (READ, bytes(3), "000000")],
)
def test_bad_keys_are_refused(master: bytes, aid: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        ReadKeys(read_master=master, aid=aid, system_id=b"x")


def test_uid_file_round_trip() -> None:
    content = layout.uid_file(UID)
    assert content == h("07") + UID + bytes(8)
    assert layout.parse_uid_file(content) == UID


def test_credential_file_round_trip_and_refusals() -> None:
    value = bytes(range(100, 116))
    content = layout.credential_file(value)
    assert content == b"ST\x01" + value + bytes(13)
    assert layout.parse_credential_file(content) == value
    for wrong in (b"SX\x01" + content[3:], b"ST\x02" + content[3:], content[:-1] + b"\x01"):
        with pytest.raises(CardError) as caught:
            layout.parse_credential_file(wrong)
        assert caught.value.reason is ReadFailure.AUTH_FAILED
    with pytest.raises(ValueError, match="16 bytes"):
        layout.credential_file(bytes(15))


def test_access_rights_bytes() -> None:
    # Read 1, write 0, read&write 0, change 0 -> 0x1000, least significant byte first.
    rights = layout.access_rights(read=1, write=0, read_write=0, change=0)
    assert rights == h("0010") == layout.CREDENTIAL_FILE_RIGHTS
    assert layout.access_rights(read=0xE, write=0, read_write=0, change=0) == h("00E0")
