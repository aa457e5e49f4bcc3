"""A card that answers anything at any step of a secure read: `read_secure` refuses with
a reason (`SecureReadError`), never raises anything else and never hands up a badge
once an answer that counts (after GetVersion) was changed. The card is the tests'
virtual DESFire, issued for the site, driven in process; one answer is replaced."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable

import pytest

from hardware.desfire import SecureReadError, issue, read_secure
from tests.support.desfire_card import DesfireCard, Generation
from tests.support.desfire_rack import SITE_KEYS, UID, VALUE

READ_KEYS = SITE_KEYS.read_keys()
VERSION_FRAMES = 3  # GetVersion's answers describe the card and prove nothing
STATUSES = (b"\x91\x00", b"\x91\xaf", b"\x91\xae", b"\x90\x00")
Mutation = Callable[[bytes], bytes]


class OneAnswerChanged:
    """The card's transport, but answer number `step` (from 1) goes through `mutate`."""

    def __init__(self, card: DesfireCard, step: int, mutate: Mutation) -> None:
        self.card, self.step, self.mutate = card, step, mutate
        self.count = 0
        self.changed = False

    def transmit(self, apdu: bytes) -> bytes:
        self.count += 1
        answer = self.card.transmit(apdu)
        if self.count != self.step:
            return answer
        changed = self.mutate(answer)
        self.changed = changed != answer
        return changed


def mutations(rng: random.Random) -> list[Mutation]:
    found: list[Mutation] = [lambda answer: b"", lambda answer: rng.randbytes(3000) + b"\x91\x00"]
    for length in range(0, 66):  # every length with OK, the lengths around ours with all
        for status in STATUSES if length % 8 in (0, 1, 7) else STATUSES[:1]:
            found.append(_garbage(rng, length, status))
    for bit in range(0, 8 * 56, 13):
        found.append(functools.partial(_flipped, bit=bit))
    found.append(lambda answer: answer[:-2] + b"\x00" + answer[-2:])
    found.append(lambda answer: answer[:-1] + b"\xaf")
    return found


def _garbage(rng: random.Random, length: int, status: bytes) -> Mutation:
    return lambda answer: rng.randbytes(length) + status


def _flipped(answer: bytes, bit: int) -> bytes:
    data = bytearray(answer)
    if len(data) > 2:
        data[(bit // 8) % (len(data) - 2)] ^= 1 << (bit % 8)
    return bytes(data)


@pytest.mark.parametrize("generation", [Generation.EV2, Generation.EV1])
def test_any_answer_changed_at_any_step_is_refused_with_a_reason(generation: Generation) -> None:
    card = DesfireCard(UID, generation=generation)
    issue(card, SITE_KEYS, VALUE)
    card.apdus.clear()
    assert read_secure(card, READ_KEYS).credential.value == VALUE
    steps = len(card.apdus)
    rng = random.Random(14)
    refused = 0
    for step in range(VERSION_FRAMES + 1, steps + 1):
        for mutate in mutations(rng):
            transport = OneAnswerChanged(card, step, mutate)
            try:
                read_secure(transport, READ_KEYS)
            except SecureReadError:
                refused += 1
                continue
            assert not transport.changed, f"answer {step} changed, yet read"
    assert refused > 500
    assert read_secure(card, READ_KEYS).credential.value == VALUE  # the card is still fine
