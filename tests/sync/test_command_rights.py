"""At a PostgreSQL central, a site's account reads and updates its own site's command
requests only (sync.rights): another site's request is invisible to it, so it can
neither run nor cancel it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import DBAPIError

from station.db import make_engine
from station.db.command_requests import CommandRequest, RequestState
from station.ids import new_event_id
from sync import rights

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def request(site: str) -> dict[str, object]:
    return {
        "id": new_event_id(),
        "site_id": site,
        "resource": "front-door",
        "command": "unlock_once",
        "args": {},
        "author": "manager@example.org",
        "requested_at": NOW,
        "expires_at": NOW + dt.timedelta(seconds=60),
        "state": "pending",
        "result": "",
    }


@pytest.fixture
def site_a(central_engine: Engine) -> Iterator[Engine]:
    rights.setup_row_security(central_engine)
    role = rights.create_site_account(central_engine, "site-a", "secret a")
    engine = make_engine(
        central_engine.url.set(username=role, password="secret a").render_as_string(
            hide_password=False
        )
    )
    yield engine
    engine.dispose()


def test_a_site_sees_and_updates_its_own_requests_only(
    central_engine: Engine, site_a: Engine
) -> None:
    own, other = request("site-a"), request("site-b")
    with central_engine.begin() as connection:  # the console writes as the owner
        connection.execute(insert(CommandRequest), [own, other])
    with site_a.begin() as connection:
        seen = connection.execute(select(CommandRequest.id)).scalars().all()
        assert seen == [own["id"]]
        changed = connection.execute(
            update(CommandRequest).values(state=RequestState.EXPIRED.value)
        )
        assert changed.rowcount == 1
    with central_engine.connect() as connection:
        rows = connection.execute(select(CommandRequest.site_id, CommandRequest.state)).all()
        states = {site: state for site, state in rows}
    assert states == {"site-a": RequestState.EXPIRED, "site-b": RequestState.PENDING}
    with pytest.raises(DBAPIError, match="permission denied"), site_a.begin() as connection:
        connection.execute(insert(CommandRequest), [request("site-a")])  # only the console asks
