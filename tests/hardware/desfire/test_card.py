"""`read_secure` refuses, with its reason, every answer that is not exactly right
(framing edge cases against a scripted transport; whole reads go through pcscd in
test_card_vpcd.py)."""

from __future__ import annotations

import pytest

from hardware.desfire import ReadKeys, SecureReadError, read_secure
from hardware.desfire.card import Generation, get_version
from hardware.desfire.errors import CardError, CardGone, DesfireError
from hardware.exc import HardwareError
from station.credential import ReadFailure
from tests.support.apdu_script import GONE, ScriptedTransport, h

KEYS = ReadKeys(read_master=bytes(range(16)), aid=h("1017F5"), system_id=b"la-station")
UID = h("04A1B2C3D4E5F6")
EV2_HARDWARE = h("04010112001A05")
PRODUCTION = UID + h("BA5E0000012124")


def version_steps(hardware: bytes = EV2_HARDWARE) -> list[tuple[bytes | None, bytes | Exception]]:
    return [
        (h("9060000000"), hardware + h("91AF")),
        (h("90AF000000"), hardware + h("91AF")),
        (h("90AF000000"), PRODUCTION + h("9100")),
    ]


SELECT = (h("905A0000031017F500"), h("9100"))
READ_UID_FILE = h("90BD000007 00 000000 100000 00")
UID_FILE = h("07") + UID + bytes(8)


def failed_read(steps: list[tuple[bytes | None, bytes | Exception]]) -> SecureReadError:
    transport = ScriptedTransport(steps)
    with pytest.raises(SecureReadError) as caught:
        read_secure(transport, KEYS)
    assert transport.done, "the read went on after the failure"
    return caught.value


@pytest.mark.parametrize(
    ("major", "generation"),
    [(0x01, Generation.EV1), (0x12, Generation.EV2), (0x33, Generation.EV3)],
)
def test_get_version_tells_the_generation(major: int, generation: Generation) -> None:
    hardware = h("040101") + bytes([major]) + h("001A05")
    assert get_version(ScriptedTransport(version_steps(hardware))) is generation


@pytest.mark.parametrize(
    ("hardware", "why"),
    [
        (h("04040130001105"), "type 04"),  # NTAG 424 DNA
        (h("04080130001305"), "type 08"),  # DESFire Light
        (h("05010112001A05"), "vendor 05"),
        (h("04010100001A05"), "hardware version 00"),  # DESFire EV0 (DES only)
    ],
)
def test_other_cards_are_not_read(hardware: bytes, why: str) -> None:
    error = failed_read(version_steps(hardware))
    assert error.reason is ReadFailure.BAD_READ
    assert why in error.detail


def test_a_card_without_native_commands_is_a_bad_read() -> None:
    error = failed_read([(None, h("6E00"))])
    assert error.reason is ReadFailure.BAD_READ
    assert "not a DESFire answer" in error.detail


def test_a_short_version_is_a_bad_read() -> None:
    steps = version_steps()
    steps[2] = (None, PRODUCTION[:-1] + h("9100"))
    error = failed_read(steps)
    assert error.reason is ReadFailure.BAD_READ
    assert "27 byte(s) of data, expected 28 or 29" in error.detail


def test_no_application_is_auth_failed() -> None:
    error = failed_read([*version_steps(), (SELECT[0], h("91A0"))])
    assert error.reason is ReadFailure.AUTH_FAILED
    assert "no application 1017F5" in error.detail


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (UID_FILE[:8] + h("9100"), "8 byte(s) of data, expected 16"),
        (h("05") + UID + bytes(8) + h("9100"), "length-prefixed UID"),
        (h("04") + UID + bytes(8) + h("9100"), "data after its UID"),
    ],
)
def test_a_wrong_uid_file_is_a_bad_read(answer: bytes, why: str) -> None:
    error = failed_read([*version_steps(), SELECT, (READ_UID_FILE, answer)])
    assert error.reason is ReadFailure.BAD_READ
    assert why in error.detail


def test_a_wrong_key_is_auth_failed() -> None:
    error = failed_read(
        [
            *version_steps(),
            SELECT,
            (READ_UID_FILE, UID_FILE + h("9100")),
            (h("9071000002010000"), bytes(16) + h("91AF")),
            (None, h("91AE")),  # the card did not recognise our RndB'
        ]
    )
    assert error.reason is ReadFailure.AUTH_FAILED
    assert "authenticate_ev2_first" in error.detail and "91AE" in error.detail


def test_a_card_gone_mid_way_is_a_bad_read() -> None:
    error = failed_read([*version_steps(), SELECT, (READ_UID_FILE, GONE)])
    assert error.reason is ReadFailure.BAD_READ
    assert "card gone" in error.detail
    assert isinstance(error.__cause__, CardGone)


def test_the_exception_tree() -> None:
    error = SecureReadError(ReadFailure.AUTH_FAILED, "why")
    assert isinstance(error, CardError) and isinstance(error, DesfireError)
    assert isinstance(error, HardwareError) and isinstance(error, ValueError)
    assert str(error) == "auth_failed: why"
    assert issubclass(CardGone, OSError)
