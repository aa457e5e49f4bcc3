"""ISO 7816-4 wrapping of DESFire commands and the checks on every answer (framing
edge cases against a scripted transport)."""

from __future__ import annotations

import pytest

from hardware.desfire.apdu import (
    MAX_FRAMES,
    Command,
    Status,
    exchange,
    exchange_chained,
    expect_length,
    wrap,
)
from hardware.desfire.errors import CardError
from station.credential import ReadFailure
from tests.support.apdu_script import ScriptedTransport, h


def test_wrap_with_and_without_data() -> None:
    assert wrap(Command.GET_VERSION) == h("90 60 00 00 00")
    assert wrap(Command.SELECT_APPLICATION, h("1017F5")) == h("90 5A 00 00 03 1017F5 00")


def test_wrap_refuses_more_than_a_short_apdu() -> None:
    with pytest.raises(ValueError, match="short APDU"):
        wrap(Command.WRITE_DATA, bytes(256))


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (b"", "no answer (the card left the field?)"),
        (h("91"), "shorter than a status word"),
        (h("6E00"), "status 6E00, not a DESFire answer"),
        (h("0102 9000"), "status 9000, not a DESFire answer"),
        (h("9177"), "unknown status 9177"),
    ],
)
def test_malformed_answers_are_bad_reads(answer: bytes, why: str) -> None:
    transport = ScriptedTransport([(None, answer)])
    with pytest.raises(CardError) as caught:
        exchange(transport, Command.SELECT_APPLICATION, h("1017F5"))
    assert caught.value.reason is ReadFailure.BAD_READ
    assert why in caught.value.detail
    assert "select_application" in caught.value.detail


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Status.AUTHENTICATION_ERROR, ReadFailure.AUTH_FAILED),
        (Status.APPLICATION_NOT_FOUND, ReadFailure.AUTH_FAILED),
        (Status.PERMISSION_DENIED, ReadFailure.AUTH_FAILED),
        (Status.INTEGRITY_ERROR, ReadFailure.AUTH_FAILED),
        (Status.LENGTH_ERROR, ReadFailure.BAD_READ),
        (Status.BOUNDARY_ERROR, ReadFailure.BAD_READ),
        (Status.ADDITIONAL_FRAME, ReadFailure.BAD_READ),
    ],
)
def test_an_unexpected_status_says_which_and_why(status: Status, reason: ReadFailure) -> None:
    transport = ScriptedTransport([(None, bytes([0x91, status]))])
    with pytest.raises(CardError) as caught:
        exchange(transport, Command.READ_DATA, bytes(7))
    assert caught.value.reason is reason
    assert f"91{status:02X}" in caught.value.detail
    assert status.name.lower() in caught.value.detail


def test_an_expected_additional_frame_is_not_an_error() -> None:
    transport = ScriptedTransport([(None, h("0102 91AF"))])
    assert exchange(transport, Command.AUTHENTICATE_AES, h("01"), expect=Status.ADDITIONAL_FRAME)
    assert transport.sent == [h("90AA0000010100")]


def test_chained_answer_is_collected_over_frames() -> None:
    # GetVersion: three frames, each asked for with AF.
    transport = ScriptedTransport(
        [
            (h("9060000000"), h("04010112001A05 91AF")),
            (h("90AF000000"), h("04010112001A05 91AF")),
            (h("90AF000000"), h("04A1B2C3D4E5F6BA5E0000012124 9100")),
        ]
    )
    data = exchange_chained(transport, Command.GET_VERSION)
    assert data == h("04010112001A05 04010112001A05 04A1B2C3D4E5F6BA5E0000012124")


def test_a_chain_ending_in_an_error_status_is_refused() -> None:
    transport = ScriptedTransport([(None, h("0102 91AF")), (None, h("917E"))])
    with pytest.raises(CardError) as caught:
        exchange_chained(transport, Command.READ_DATA, bytes(7))
    assert caught.value.reason is ReadFailure.BAD_READ
    assert "917E" in caught.value.detail


def test_a_card_that_never_stops_chaining_is_a_bad_read() -> None:
    transport = ScriptedTransport([(None, h("01 91AF"))] * (MAX_FRAMES + 1))
    with pytest.raises(CardError) as caught:
        exchange_chained(transport, Command.GET_VERSION)
    assert caught.value.reason is ReadFailure.BAD_READ
    assert f"more than {MAX_FRAMES} frames" in caught.value.detail


def test_expect_length() -> None:
    assert expect_length(Command.GET_CARD_UID, bytes(7), 4, 7, 10) == bytes(7)
    with pytest.raises(CardError, match="5 byte\\(s\\) of data, expected 4 or 7 or 10"):
        expect_length(Command.GET_CARD_UID, bytes(5), 4, 7, 10)
