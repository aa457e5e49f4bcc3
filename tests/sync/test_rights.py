"""A site's account at central reads the registry and writes only its own history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from station.db import AccessEvent, Member, make_engine
from station.ids import new_event_id
from sync import rights
from sync.down import sync_down
from sync.errors import CentralRefused
from sync.up import sync_up
from tests.sync.support import add_people, registry_state

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def event(site: str) -> dict[str, object]:
    return {
        "id": new_event_id(),
        "agent_id": "door",
        "resource": "door",
        "type": "granted",
        "at": NOW,
        "data": {},
        "site_id": site,
    }


@pytest.fixture
def accounts(central_engine: Engine) -> Iterator[dict[str, Engine]]:
    rights.setup_row_security(central_engine)
    engines = {}
    for site in ("site-a", "site-b"):
        role = rights.create_site_account(central_engine, site, f"secret '{site}'")
        engines[site] = make_engine(
            central_engine.url.set(username=role).render_as_string(hide_password=False)
        )
    yield engines
    for engine in engines.values():
        engine.dispose()


def test_site_cannot_write_another_sites_history(
    central_engine: Engine, accounts: dict[str, Engine]
) -> None:
    site_a = accounts["site-a"]
    with site_a.begin() as connection:
        connection.execute(insert(AccessEvent), [event("site-a")])
    with pytest.raises(DBAPIError, match="row-level security"), site_a.begin() as connection:
        connection.execute(insert(AccessEvent), [event("site-b")])
    with central_engine.begin() as connection:  # the owner writes site B's row
        connection.execute(insert(AccessEvent), [event("site-b")])
    with site_a.begin() as connection:
        # Site B's history is invisible to A, so A's UPDATE touches nothing...
        assert connection.execute(select(func.count()).select_from(AccessEvent)).scalar() == 1
        changed = connection.execute(
            update(AccessEvent).where(AccessEvent.site_id == "site-b").values(type="denied")
        ).rowcount
        assert changed == 0
        # ...nor can A move its own rows to B.
    with pytest.raises(DBAPIError, match="row-level security"), site_a.begin() as connection:
        connection.execute(update(AccessEvent).values(site_id="site-b"))
    with pytest.raises(DBAPIError, match="permission denied"), site_a.begin() as connection:
        connection.execute(delete(AccessEvent))
    with central_engine.connect() as connection:
        rows = connection.execute(select(AccessEvent.site_id, AccessEvent.type)).all()
    assert sorted(rows) == [("site-a", "granted"), ("site-b", "granted")]


def test_site_cannot_create_registry_rows_in_another_sites_name(
    accounts: dict[str, Engine],
) -> None:
    with (
        pytest.raises(DBAPIError, match="row-level security"),
        accounts["site-a"].begin() as connection,
    ):
        connection.execute(
            insert(Member),
            [
                {
                    "id": new_event_id(),
                    "kind": "visitor",
                    "first_name": "Forged",
                    "last_name": "",
                    "created_at": NOW,
                    "revision": 0,
                    "updated_at": NOW,
                    "origin_site": "site-b",
                    "dirty": False,
                }
            ],
        )


def test_a_full_sync_works_with_the_site_account(
    central_engine: Engine, site_engine: Engine, accounts: dict[str, Engine]
) -> None:
    from sqlalchemy.orm import Session

    from station import registry

    add_people(central_engine, 5)
    site_a = accounts["site-a"]
    sync_down(site_engine, site_a, batch_size=4)
    assert registry_state(site_engine) == registry_state(central_engine)
    with Session(site_engine) as session, session.begin():
        registry.add_member(session, "Walk-in", origin_site="site-a")
        session.add(AccessEvent(**event("site-a")))  # type: ignore[arg-type]
    result = sync_up(site_engine, site_a, "site-a", batch_size=10)
    assert (result.registry, result.history, result.rejected) == (1, 1, 0)
    # A forged row for site B in the site's database blocks the batch, which stays
    # pending at the site: nothing of it is written at central.
    with Session(site_engine) as session, session.begin():
        session.add(AccessEvent(**event("site-b")))  # type: ignore[arg-type]
        session.add(AccessEvent(**event("site-a")))  # type: ignore[arg-type]
    with pytest.raises(CentralRefused, match="row-level security"):
        sync_up(site_engine, site_a, "site-a", batch_size=10)
    with central_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(AccessEvent)).scalar() == 1
