"""Two kiosks on PostgreSQL counting a wrong PIN for one member at once: both count.

The first wrong PIN creates the member's `staff_pin_failures` row; two kiosks that
both find no row must not both insert it (the second would fail on the primary key
and its wrong PIN would go uncounted, a free attempt for whoever copies the badge).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from station import registry, staff_pin
from station.db import Member, MemberKind, make_engine
from station.db.models import StaffPinFailure
from station.staff_pin import PinCheck, PinOutcome

pytestmark = pytest.mark.postgres

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
PIN = "4821"


@pytest.fixture
def engine(pg_migrated_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_migrated_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def sam(engine: Engine) -> uuid.UUID:
    with Session(engine) as session, session.begin():
        member = registry.add_member(session, "Sam", "Staff", kind=MemberKind.STAFF)
        staff_pin.set_pin(session, member, PIN)
        return member.id


def wrong_pin(session: Session, member_id: uuid.UUID, kiosk: str) -> PinCheck:
    member = session.get(Member, member_id)
    assert member is not None
    return staff_pin.check_pin(session, member, "0000", NOW, kiosk_id=kiosk, site_id="site-a")


def blocked_backends(engine: Engine) -> int:
    """Connections of this database waiting for a lock another transaction holds."""
    with engine.connect() as connection:
        return int(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            or 0
        )


def test_two_kiosks_counting_the_first_wrong_pin_at_once_count_two(
    engine: Engine, sam: uuid.UUID
) -> None:
    first = Session(engine)
    first.begin()
    results: dict[str, PinCheck | BaseException] = {}
    try:
        # The first kiosk has counted its wrong PIN (the row exists, not yet committed).
        results["first"] = wrong_pin(first, sam, "kiosk-1")

        def second_kiosk() -> None:
            try:
                with Session(engine) as second, second.begin():
                    results["second"] = wrong_pin(second, sam, "kiosk-2")
            except BaseException as exc:  # reported below, on the test's thread
                results["second"] = exc

        thread = threading.Thread(target=second_kiosk)
        thread.start()
        # The second found no committed row either: it waits on the first's insert.
        deadline = time.monotonic() + 10
        while blocked_backends(engine) == 0 and thread.is_alive():
            assert time.monotonic() < deadline, "the second kiosk never waited for the first"
            time.sleep(0.01)
        first.commit()
        thread.join(10)
        assert not thread.is_alive()
    finally:
        first.close()
    second = results["second"]
    assert not isinstance(second, BaseException), repr(second)
    assert isinstance(results["first"], PinCheck)
    assert results["first"].failures == 1
    assert second.outcome is PinOutcome.WRONG and second.failures == 2
    with Session(engine) as session:
        state = session.get(StaffPinFailure, sam)
        assert state is not None and state.failures == 2
