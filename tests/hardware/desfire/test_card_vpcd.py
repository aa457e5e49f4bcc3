"""Issue, read and format virtual DESFire cards through the real PC/SC stack (pcscd,
vpcd, the product's PcscTransport), the card being tests/support/desfire_card.py:
written apart from hardware.desfire, from the same NXP documents."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from smartcard import scard

from hardware.desfire import (
    Generation,
    IssueError,
    SecureReadError,
    Transport,
    format_card,
    issue,
    read_secure,
)
from hardware.desfire.layout import BLANK_KEY
from hardware.readers.pcsc_transport import connected
from station.credential import CredentialKind, ReadFailure
from tests.support import pcsc
from tests.support.desfire_card import DESFIRE_ATR, DesfireCard
from tests.support.desfire_card import Generation as CardGeneration
from tests.support.desfire_rack import OTHER_SITE, SITE_KEYS, UID, VALUE, CardRack

READ_KEYS = SITE_KEYS.read_keys()
GENERATIONS = {
    CardGeneration.EV1: Generation.EV1,
    CardGeneration.EV2: Generation.EV2,
    CardGeneration.EV3: Generation.EV3,
}
OnReader = Callable[[DesfireCard], Transport]


@pytest.fixture
def rack(pcscd: pcsc.Pcscd) -> Iterator[CardRack]:
    cards = CardRack(pcscd)
    yield cards
    cards.close()


@pytest.fixture
def on_reader(pcscd: pcsc.Pcscd, rack: CardRack) -> Iterator[OnReader]:
    """Put a card on the first virtual reader; the product's PC/SC transport to it."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert hresult == scard.SCARD_S_SUCCESS
    with contextlib.ExitStack() as connections:

        def put(card: DesfireCard) -> Transport:
            rack.add(card)
            card.insert()
            assert pcsc.wait_card(pcscd.readers[0], present=True)
            transport, atr = connections.enter_context(connected(context, pcscd.readers[0]))
            assert atr == DESFIRE_ATR
            return transport

        yield put
        # Cards off first: disconnecting from a card vpcd has lost, before pcscd has
        # seen it go, leaves the reader deaf to the next card for a while.
        rack.close()
    scard.SCardReleaseContext(context)


def take_off(card: DesfireCard, pcscd: pcsc.Pcscd) -> None:
    card.remove()
    assert pcsc.wait_card(pcscd.readers[0], present=False)


@pytest.mark.parametrize("generation", list(CardGeneration))
def test_issue_read_format_and_issue_again(
    on_reader: OnReader, pcscd: pcsc.Pcscd, generation: CardGeneration
) -> None:
    card = DesfireCard(UID, generation=generation)
    transport = on_reader(card)
    assert issue(transport, SITE_KEYS, VALUE) == UID
    app = card.applications[SITE_KEYS.aid]
    assert app.keys[1].value == READ_KEYS.read_key(UID) and app.keys[1].version == 1
    assert card.picc.keys[0].value not in (BLANK_KEY, app.keys[0].value)

    read = read_secure(transport, READ_KEYS)
    assert read.credential.kind is CredentialKind.SECURE
    assert read.credential.value == VALUE
    assert (read.uid, read.version) == (UID, GENERATIONS[generation])

    format_card(transport, SITE_KEYS)
    assert card.applications == {} and card.picc.keys[0].value == BLANK_KEY
    with pytest.raises(SecureReadError) as caught:
        read_secure(transport, READ_KEYS)
    assert caught.value.reason is ReadFailure.AUTH_FAILED
    assert "no application" in caught.value.detail
    assert issue(transport, SITE_KEYS, bytes(16)) == UID  # a visitor badge handed out again
    assert read_secure(transport, READ_KEYS).credential.value == bytes(16)


def test_a_random_uid_card_is_read_by_its_real_uid(on_reader: OnReader) -> None:
    card = DesfireCard(UID, random_id=True)
    transport = on_reader(card)
    issue(transport, SITE_KEYS, VALUE)
    assert card.uid != UID  # what anti-collision shows
    read = read_secure(transport, READ_KEYS)
    assert read.uid == UID and read.credential.value == VALUE


def refused(transport: Transport) -> SecureReadError:
    with pytest.raises(SecureReadError) as caught:
        read_secure(transport, READ_KEYS)
    return caught.value


def test_a_clone_of_the_uid_is_auth_failed(on_reader: OnReader, rack: CardRack) -> None:
    clone = rack.issued().clone()  # the same UID on a blank card
    error = refused(on_reader(clone))
    assert error.reason is ReadFailure.AUTH_FAILED
    assert "no application" in error.detail


def test_a_card_of_another_site_with_our_aid_is_auth_failed(on_reader: OnReader) -> None:
    card = DesfireCard(UID)
    transport = on_reader(card)
    issue(transport, OTHER_SITE, VALUE)
    error = refused(transport)
    assert error.reason is ReadFailure.AUTH_FAILED
    assert "91AE" in error.detail


def test_keys_copied_onto_a_card_with_another_uid_are_auth_failed(
    on_reader: OnReader, rack: CardRack
) -> None:
    # Even a card holding our files and keys (a leaked card key) fails on its real UID.
    copy = rack.issued()
    copy.real_uid = copy.uid = bytes.fromhex("04000000000001")
    error = refused(on_reader(copy))
    assert error.reason is ReadFailure.AUTH_FAILED
    assert "real UID" in error.detail


def test_a_replayed_exchange_is_auth_failed(
    on_reader: OnReader, pcscd: pcsc.Pcscd, rack: CardRack
) -> None:
    genuine = rack.issued()
    read_secure(on_reader(genuine), READ_KEYS)
    take_off(genuine, pcscd)
    player = rack.issued()
    player.replay = list(genuine.answers)  # it plays the genuine card's answers back
    error = refused(on_reader(player))
    assert error.reason is ReadFailure.AUTH_FAILED
    assert "RndA'" in error.detail


def test_every_truncated_answer_is_a_bad_read(
    on_reader: OnReader, pcscd: pcsc.Pcscd, rack: CardRack
) -> None:
    genuine = rack.issued()
    read_secure(on_reader(genuine), READ_KEYS)
    count = len(genuine.apdus)
    take_off(genuine, pcscd)
    for step in range(count):
        card = rack.issued()
        card.truncate_after = step  # the answer to APDU step + 1 loses half its data
        error = refused(on_reader(card))
        assert error.reason is ReadFailure.BAD_READ, (step, error.detail)
        take_off(card, pcscd)


@pytest.mark.parametrize("step", [1, 8])  # in GetVersion; after authentication
def test_a_card_removed_mid_way_is_a_bad_read(
    on_reader: OnReader, rack: CardRack, step: int
) -> None:
    card = rack.issued()
    card.vanish_after = step
    error = refused(on_reader(card))
    assert error.reason is ReadFailure.BAD_READ
    # pcscd answers nothing for a card vpcd lost mid-command (a real reader may fail
    # the transmit instead: "card gone", tested in test_card.py).
    assert "no answer" in error.detail


def test_issue_refuses_a_card_that_is_not_blank(on_reader: OnReader) -> None:
    card = DesfireCard(UID, picc_key=bytes(range(16)))
    with pytest.raises(IssueError) as caught:
        issue(on_reader(card), SITE_KEYS, VALUE)
    assert caught.value.reason is ReadFailure.AUTH_FAILED
    assert "not blank" in caught.value.detail
    assert card.applications == {}


def test_format_refuses_a_card_of_another_site(on_reader: OnReader) -> None:
    card = DesfireCard(UID)
    transport = on_reader(card)
    issue(transport, OTHER_SITE, VALUE)
    with pytest.raises(IssueError) as caught:
        format_card(transport, SITE_KEYS)
    assert "neither this site's nor the blank" in caught.value.detail
    assert OTHER_SITE.aid in card.applications


def test_a_card_removed_while_issued_can_be_formatted_and_issued(
    on_reader: OnReader, pcscd: pcsc.Pcscd
) -> None:
    card = DesfireCard(UID, vanish_after=12)  # after CreateApplication and a key change
    with pytest.raises(IssueError) as caught:
        issue(on_reader(card), SITE_KEYS, VALUE)
    assert caught.value.reason is ReadFailure.BAD_READ
    assert SITE_KEYS.aid in card.applications  # half-written
    take_off(card, pcscd)
    card.vanish_after = None
    transport = on_reader(card)
    format_card(transport, SITE_KEYS)
    assert card.applications == {}
    issue(transport, SITE_KEYS, VALUE)
    assert read_secure(transport, READ_KEYS).credential.value == VALUE
