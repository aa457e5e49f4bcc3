"""What the console writes of a person reaches a site by the ordinary sync down: a person
registered, then corrected with a badge revoked, then forgotten; the site's copy follows
each step (central's writing sessions gave each row its revision)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from station.db import Badge, BadgeStatus, Member, make_engine
from station.db.staff import Role
from station.privacy import ERASED
from sync.down import sync_down
from tests.console.conftest import log_in
from tests.support.console_people import app, token
from tests.support.sqlite_copy import copy_sqlite

__all__ = ["app"]


@pytest.fixture
def site_engine(_site_db_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A second migrated database: the site the changes travel to."""
    engine = make_engine(copy_sqlite(_site_db_template, tmp_path / "site-gare.db"))
    yield engine
    engine.dispose()


def at_site(site: Engine, central: Engine, model: type, key: object) -> object:
    sync_down(site, central, batch_size=100)
    with Session(site) as db:
        return db.get(model, key)


def test_the_consoles_writes_reach_a_site(
    client: TestClient,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
    central_engine: Engine,
    site_engine: Engine,
) -> None:
    log_in(client, accounts[Role.RECEPTION])
    new = {"first_name": "Élodie", "last_name": "Marchand", "email": "e@example.fr"}
    data = {**new, "kind": "member", "plan": "member", "csrf": token(client, "/members/new")}
    member_id = client.post("/members/new", data=data).headers["location"].split("/")[2][:36]
    badges = f"/members/{member_id}/badges"
    client.post(badges, data={"uid": "04A1B2C3", "csrf": token(client, badges)})
    with sessions() as db:
        member = db.get(Member, uuid.UUID(member_id))
        assert member is not None
        (badge,) = member.badges
    here = at_site(site_engine, central_engine, Member, member.id)
    assert isinstance(here, Member) and here.email == "e@example.fr"

    edit = f"/members/{member_id}/edit"
    client.post(edit, data={**new, "email": "elodie@example.fr", "csrf": token(client, edit)})
    revoke = f"/members/{member_id}/badges/{badge.id}/revoke"
    client.post(revoke, data={"csrf": token(client, badges)})
    here = at_site(site_engine, central_engine, Member, member.id)
    assert isinstance(here, Member) and here.email == "elodie@example.fr"
    revoked = at_site(site_engine, central_engine, Badge, badge.id)
    assert isinstance(revoked, Badge) and revoked.status is BadgeStatus.REVOKED

    log_in(client, accounts[Role.MANAGER])
    forget = f"/members/{member_id}/forget"
    client.post(forget, data={"name": "Élodie Marchand", "csrf": token(client, forget)})
    here = at_site(site_engine, central_engine, Member, member.id)
    assert isinstance(here, Member) and here.deleted_at is not None
    assert (here.first_name, here.email) == (ERASED, None)
