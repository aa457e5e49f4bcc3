"""When the whole snapshot follows the deltas (sync/settle.py), on a given clock."""

from __future__ import annotations

from sync.settle import Settling


def test_nothing_waiting_is_always_due() -> None:
    assert Settling(5.0, 30.0).due(0.0)


def test_due_once_the_deltas_have_been_quiet_for_the_settle_time() -> None:
    settling = Settling(5.0, 30.0)
    settling.delta_sent(100.0)
    assert not settling.due(104.9)
    settling.delta_sent(104.0)  # another change: the wait starts again
    assert not settling.due(108.9)
    assert settling.due(109.0)


def test_a_burst_of_changes_waits_no_longer_than_the_maximum() -> None:
    settling = Settling(5.0, 30.0)
    for second in range(0, 30, 2):
        settling.delta_sent(float(second))
        assert not settling.due(second + 1.0)
    assert settling.due(30.0)
    settling.settled()
    settling.delta_sent(31.0)  # the next burst counts from its own first delta
    assert not settling.due(35.0)


def test_a_delta_after_a_quiet_spell_waits_its_own_settle_time() -> None:
    """The burst before was settled without `settled` (a whole reading taken in built
    its snapshots): the next delta does not inherit its age."""
    settling = Settling(5.0, 30.0)
    settling.delta_sent(0.0)
    settling.delta_sent(100.0)
    assert not settling.due(101.0)
    assert settling.due(105.0)
