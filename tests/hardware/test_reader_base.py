"""The logic every reader shares (held card once, debounce, availability), via SimReader."""

from __future__ import annotations

import pytest

from hardware.exc import ReaderUnavailable
from hardware.readers.base import BadgePresented, BadgeRemoved, BadRead, ReaderState
from hardware.readers.sim import SimReader
from station.config.reader import ReaderConfig
from station.credential import Credential, CredentialKind, ReadFailure
from tests.support.readers import Events

A, B = "04A1B2C3", "04112233445566"


def sim(events: Events, debounce_s: float = 0.0) -> SimReader:
    reader = SimReader("door", ReaderConfig(path="sim:door", debounce_s=debounce_s), events)
    reader.start()
    state = events.expect(ReaderState)
    assert state.available and reader.available
    return reader


def test_presented_carries_a_typed_credential(events: Events) -> None:
    with sim(events) as reader:
        reader.present(A, at=12.5)
        event = events.expect(BadgePresented)
    assert event.reader_id == "door"
    assert event.credential == Credential(CredentialKind.UID, bytes.fromhex(A))
    assert event.at == 12.5


def test_a_held_card_is_reported_once(events: Events) -> None:
    with sim(events) as reader:
        for _ in range(5):  # e.g. a backend that re-polls a card left on the reader
            reader.present(A)
        reader.remove()
        assert isinstance(events.next(), BadgePresented)
        removed = events.expect(BadgeRemoved)
        assert removed.credential.hex == A
        assert events.pending() == []


def test_same_badge_again_within_the_debounce_window_is_one_presentation(events: Events) -> None:
    with sim(events, debounce_s=60) as reader:
        reader.present(A)
        reader.remove()
        reader.present(A)  # back within the window: a bounce or an impatient second tap
        reader.remove()
        reader.present(A)
        assert [type(e) for e in events.pending()] == [BadgePresented]
    assert events.pending() == []  # and nothing after close


def test_removal_is_reported_after_the_window_then_the_badge_counts_again(events: Events) -> None:
    with sim(events, debounce_s=0.05) as reader:
        reader.present(A, at=1.0)
        reader.remove(at=2.0)
        assert isinstance(events.next(), BadgePresented)
        removed = events.expect(BadgeRemoved)
        assert removed.at == 2.0  # when the card left, not when it was reported
        reader.present(A)
        assert events.expect(BadgePresented).credential.hex == A


def test_another_badge_flushes_the_pending_removal_first(events: Events) -> None:
    with sim(events, debounce_s=60) as reader:
        reader.present(A)
        reader.remove()
        reader.present(B)
        kinds = [
            (type(e).__name__, e.credential.hex)
            for e in events.pending()
            if isinstance(e, BadgePresented | BadgeRemoved)
        ]
    assert kinds == [("BadgePresented", A), ("BadgeRemoved", A), ("BadgePresented", B)]


def test_a_card_swapped_without_removal_gives_removed_then_presented(events: Events) -> None:
    with sim(events) as reader:
        reader.present(A)
        reader.present(B)
        kinds = [
            (type(e).__name__, e.credential.hex)
            for e in events.pending()
            if isinstance(e, BadgePresented | BadgeRemoved)
        ]
    assert kinds == [("BadgePresented", A), ("BadgeRemoved", A), ("BadgePresented", B)]


def test_unavailable_reader_reports_the_held_card_removed_first(events: Events) -> None:
    with sim(events, debounce_s=60) as reader:
        reader.present(A)
        reader._set_available(False, "unplugged")
        reader._set_available(False, "still unplugged")  # reported once
        reader._set_available(True, "back")
        got = events.pending()
    assert [type(e) for e in got] == [BadgePresented, BadgeRemoved, ReaderState, ReaderState]
    assert [e.available for e in got if isinstance(e, ReaderState)] == [False, True]
    assert reader.available is False  # closed


def test_bad_read_is_counted_and_never_a_badge(events: Events) -> None:
    with sim(events) as reader:
        reader._bad_read("status word 6A81")
        event = events.expect(BadRead)
        assert event.detail == "status word 6A81"
        assert event.reason is ReadFailure.BAD_READ and event.uid is None
        assert reader.bad_reads == 1
        # A failed secure read says why, with the UID it saw; still counted, still no badge.
        reader._bad_read("no application", ReadFailure.AUTH_FAILED, Credential.uid(A))
        failed = events.expect(BadRead)
        assert failed.reason is ReadFailure.AUTH_FAILED
        assert failed.uid == Credential.uid(A)
        assert reader.bad_reads == 2
        assert events.pending() == []


def test_close_is_safe_twice_and_start_after_close_refused(events: Events) -> None:
    reader = sim(events)
    reader.close()
    reader.close()
    assert reader.closed
    reader.present(A)
    assert events.pending() == []
    with pytest.raises(ReaderUnavailable):
        reader.start()


def test_a_failing_owner_callback_does_not_break_the_reader(events: Events) -> None:
    calls: list[object] = []

    def flaky(event: object) -> None:
        calls.append(event)
        if len(calls) == 2:
            raise RuntimeError("bug in the owner")

    with SimReader("door", ReaderConfig(path="sim:door", debounce_s=0), flaky) as reader:
        reader.present(A)  # the second event raises
        reader.remove()
        reader.present(B)
    assert [type(e) for e in calls] == [ReaderState, BadgePresented, BadgeRemoved, BadgePresented]


def test_sim_rejects_a_malformed_uid(events: Events) -> None:
    with sim(events) as reader, pytest.raises(ValueError):
        reader.present("not hex")
    assert events.pending() == []
