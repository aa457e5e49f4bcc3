"""Login throttling, per account and per address, counted in the database: two console
instances on one central refuse the same attempts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from console import throttle
from console.app import create_app
from station.db.staff import AuditAction, AuditEntry, Role
from tests.console.conftest import BADGE_KEY, TIMEZONE, Clock, log_in


def count(sessions: sessionmaker[Session], action: AuditAction) -> int:
    with sessions() as db:
        query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        return db.scalar(query) or 0


def test_five_failures_lock_the_account_for_the_window_even_with_the_right_password(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session], clock: Clock
) -> None:
    email = accounts[Role.RECEPTION]
    for _ in range(throttle.PER_ACCOUNT):
        assert log_in(client, email, "a wrong password!") == 401
        clock.advance(dt.timedelta(seconds=30))
    assert log_in(client, email) == 429
    assert count(sessions, AuditAction.LOGIN_THROTTLED) == 1
    # Another account from the same address is not locked out by these.
    assert log_in(client, accounts[Role.ADMIN]) == 303
    clock.advance(throttle.WINDOW)
    assert log_in(client, email) == 303


def test_a_success_starts_the_account_count_again(
    client: TestClient, accounts: dict[Role, str], clock: Clock
) -> None:
    email = accounts[Role.MANAGER]
    for _ in range(throttle.PER_ACCOUNT - 1):
        assert log_in(client, email, "a wrong password!") == 401
    clock.advance(dt.timedelta(seconds=1))
    assert log_in(client, email) == 303
    clock.advance(dt.timedelta(seconds=1))
    for _ in range(throttle.PER_ACCOUNT - 1):
        assert log_in(client, email, "a wrong password!") == 401
    assert log_in(client, email) == 303


def test_one_address_trying_many_emails_is_throttled(
    client: TestClient, accounts: dict[Role, str], clock: Clock
) -> None:
    for n in range(throttle.PER_ADDRESS):
        assert log_in(client, f"guess{n}@example.org", "a wrong password!") == 401
    assert log_in(client, accounts[Role.ADMIN]) == 429
    clock.advance(throttle.WINDOW + dt.timedelta(seconds=1))
    assert log_in(client, accounts[Role.ADMIN]) == 303


def test_two_instances_share_the_count(
    sessions: sessionmaker[Session], accounts: dict[Role, str], clock: Clock
) -> None:
    first = create_app(sessions, badge_key=BADGE_KEY, timezone=TIMEZONE, clock=clock)
    second = create_app(sessions, badge_key=BADGE_KEY, timezone=TIMEZONE, clock=clock)
    email = accounts[Role.FABMANAGER]
    with (
        TestClient(first, follow_redirects=False) as one,
        TestClient(second, follow_redirects=False) as two,
    ):
        for n in range(throttle.PER_ACCOUNT):
            assert log_in(one if n % 2 else two, email, "a wrong password!") == 401
        assert log_in(one, email) == 429
        assert log_in(two, email) == 429
        # And a session opened on one instance is open on the other (one secret, in the
        # database; nothing kept in either process).
        assert log_in(one, accounts[Role.ADMIN]) == 303
        two.cookies.update(one.cookies)
        assert two.get("/").status_code == 200
