"""At a PostgreSQL central, a site's own account pushes its live state and carries out
its check-outs (sync.rights), and sees nothing of another site's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from station.config import StationConfig
from station.db import make_engine
from station.db.site_live import CheckoutRequest, CheckoutState, SiteAgent, SiteLink
from station.ids import new_event_id
from sync import rights
from sync.live_up import LiveUpload
from tests.sync.running_service import config, seeded_site

__all__ = ["config", "seeded_site"]

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def as_site(central_engine: Engine, config: StationConfig) -> Iterator[Engine]:
    rights.setup_row_security(central_engine)
    role = rights.create_site_account(central_engine, config.site.id, "secret")
    engine = make_engine(
        central_engine.url.set(username=role, password="secret").render_as_string(
            hide_password=False
        )
    )
    yield engine
    engine.dispose()


def test_a_site_account_pushes_its_own_state_and_check_outs_only(
    central_engine: Engine, as_site: Engine, config: StationConfig, seeded_site: Engine
) -> None:
    site = config.site.id
    with central_engine.begin() as connection:  # another site, as central's owner writes it
        connection.execute(insert(SiteLink).values(site_id="other", heard_at=NOW, version=3))
        connection.execute(
            insert(CheckoutRequest),
            [
                {
                    "id": new_event_id(),
                    "site_id": site_id,
                    "visit_id": new_event_id(),
                    "author": "reception@example.org",
                    "requested_at": NOW,
                    "expires_at": NOW + dt.timedelta(minutes=10),
                    "state": CheckoutState.PENDING.value,
                }
                for site_id in (site, "other")
            ],
        )
    live = LiveUpload(config, seeded_site, as_site, lambda: NOW)
    live.push()
    assert live.settle_checkouts() == 1  # its own (no such visit here: refused)
    with Session(central_engine) as db:
        assert {a.agent_id for a in db.scalars(select(SiteAgent))} == set(config.agents)
        states = dict(db.execute(select(CheckoutRequest.site_id, CheckoutRequest.state)).all())
        assert states == {site: CheckoutState.REFUSED, "other": CheckoutState.PENDING}
    with as_site.connect() as connection:
        assert connection.execute(select(SiteLink.site_id)).scalars().all() == [site]
    with pytest.raises(DBAPIError), as_site.begin() as connection:
        connection.execute(insert(SiteLink).values(site_id="other-2", heard_at=NOW, version=1))
