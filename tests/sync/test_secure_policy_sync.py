"""The secure-badge policy travels like the other columns: a member's secure_only and a
resource's require_secure, set at central, come down to the site and into the grants its
agents get (with the plans that ask for a secure badge there)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station import registry
from station.config import load_config
from station.credential import Credential, CredentialKind
from station.db import Member, Resource
from station.protocol.grants import entry_from_json, resource_from_json
from station.seed import seed_site
from sync import central
from sync.compiler import GrantCompiler
from sync.down import sync_down
from tests.support.keys import read_site_snapshot

pytestmark = pytest.mark.postgres

CARD = Credential(CredentialKind.SECURE, bytes(range(16)))


def test_secure_only_and_require_secure_reach_the_agents(
    site_engine: Engine, central_engine: Engine, config_factory: Callable[..., Path]
) -> None:
    config = load_config(config_factory())
    key = config.badge_key
    with central.session(central_engine) as db:
        seed_site(db, config)
        ines = registry.add_member(db, "Inès", membership_until=dt.date(2099, 1, 1))
        registry.enroll_badge(db, ines, Credential.uid("04F6A7B8"), key)
        registry.enroll_badge(db, ines, CARD, key)
        for training in ("laser", "printer-3d"):  # so that every agent holds her entry
            registry.grant_training(db, ines, training)
        ines_id = ines.id
    with Session(site_engine) as session, session.begin():
        seed_site(session, config)
    sync_down(site_engine, central_engine, batch_size=10, site_id=config.site.id)
    compiler = GrantCompiler(config)
    before = {s.agent_id: s for s in compiler.refresh(site_engine)}
    door = resource_from_json(
        read_site_snapshot(config, before["front-door"].whole, "front-door")["resource"]
    )
    assert (door.require_secure, door.secure_plans) == (False, frozenset({"resident"}))

    # Set at central, where people and the site's equipment are mastered.
    with central.session(central_engine) as db:
        db.get_one(Member, ines_id).secure_only = True
        front = db.scalars(
            select(Resource).where(
                Resource.site_id == config.site.id, Resource.code == "front-door"
            )
        ).one()
        front.require_secure = True
    sync_down(site_engine, central_engine, batch_size=10, site_id=config.site.id)
    with Session(site_engine) as session:
        assert session.get_one(Member, ines_id).secure_only is True
        site_door = session.scalars(select(Resource).where(Resource.code == "front-door")).one()
        assert site_door.require_secure is True

    changed = {s.agent_id: s for s in compiler.refresh(site_engine)}
    assert set(changed) == set(config.agents)  # her entry changed in every snapshot
    body = read_site_snapshot(config, changed["front-door"].whole, "front-door")
    assert resource_from_json(body["resource"]).require_secure is True
    entries = body["grants"]
    for credential in (Credential.uid("04F6A7B8"), CARD):
        assert entry_from_json(entries[credential.keyed_hash(key)]).secure_only is True
    laser = read_site_snapshot(config, changed["laser-cutter"].whole, "laser-cutter")
    assert resource_from_json(laser["resource"]).require_secure is False

    # And back off: false comes down too.
    with central.session(central_engine) as db:
        db.get_one(Member, ines_id).secure_only = False
    sync_down(site_engine, central_engine, batch_size=10, site_id=config.site.id)
    with Session(site_engine) as session:
        assert session.get_one(Member, ines_id).secure_only is False
