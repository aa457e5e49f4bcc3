"""Down: central (PostgreSQL) -> site (SQLite), in batches, resumable, with tombstones."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from station import registry
from station.credential import Credential
from station.db import Badge, BadgeStatus, Member, SyncRejection
from sync import central
from sync.cursors import read_cursor
from sync.down import sync_down
from sync.errors import CentralUnavailable
from sync.tables import DOWN_TABLES, NATURAL_KEYS, PARENTS, SITE_SCOPED
from tests.sync.support import (
    KEY,
    add_people,
    badge_hash,
    delete_member,
    kill_connections,
    registry_state,
    revoke,
)


def test_first_sync_copies_the_registry_in_batches(
    site_engine: Engine, central_engine: Engine
) -> None:
    add_people(central_engine, 20)
    seen: list[tuple[int, int]] = []
    result = sync_down(
        site_engine,
        central_engine,
        batch_size=7,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert registry_state(site_engine) == registry_state(central_engine)
    with central_engine.connect() as connection:
        last = central.current(connection)
    assert result.cursor == last == 60  # 20 members, memberships, badges
    assert result.batches == 9  # ceil(60 / 7)
    assert seen[0] == (0, 60) and seen[-1] == (60, 60)
    with site_engine.connect() as connection:
        assert read_cursor(connection) == last


def test_incremental_sync_brings_only_changes_and_tombstones(
    site_engine: Engine, central_engine: Engine
) -> None:
    uids = add_people(central_engine, 10)
    sync_down(site_engine, central_engine, batch_size=100)
    revoke(central_engine, uids[3])
    delete_member(central_engine, "M5")
    result = sync_down(site_engine, central_engine, batch_size=100)
    assert result.applied == 2 and result.batches == 1
    assert registry_state(site_engine) == registry_state(central_engine)
    with Session(site_engine) as session:
        badge = session.scalar(select(Badge).where(Badge.hash == badge_hash(uids[3])))
        assert badge is not None and badge.status is BadgeStatus.REVOKED
        gone = session.scalar(select(Member).where(Member.first_name == "M5"))
        assert gone is not None and gone.deleted_at is not None
    assert sync_down(site_engine, central_engine, batch_size=100).applied == 0


def test_parent_changed_after_its_child_arrives_first(
    site_engine: Engine, central_engine: Engine
) -> None:
    # The member's last change has a later revision than its badge: with one row per
    # batch the badge comes first, and its member must be fetched along with it.
    add_people(central_engine, 2)
    with central.session(central_engine) as db:
        member = db.scalar(select(Member).where(Member.first_name == "M1"))
        assert member is not None
        member.last_name = "Renamed"
    result = sync_down(site_engine, central_engine, batch_size=1)
    assert result.batches >= 5
    assert registry_state(site_engine) == registry_state(central_engine)


def test_resumes_after_central_connection_is_killed_mid_batch(
    site_engine: Engine, central_engine: Engine, central_url: str, pg_server_url: str
) -> None:
    add_people(central_engine, 50)
    calls = {"rows": 0}

    def kill_on_third_batch(point: str) -> None:
        if point == "down.rows":
            calls["rows"] += 1
            if calls["rows"] == 3:
                assert kill_connections(pg_server_url, central_engine.url.database or "") >= 1

    with pytest.raises(CentralUnavailable):
        sync_down(site_engine, central_engine, batch_size=10, checkpoint=kill_on_third_batch)
    with site_engine.connect() as connection:
        stopped_at = read_cursor(connection)
    assert stopped_at == 20  # two whole batches, nothing of the third
    partial = registry_state(site_engine)
    assert sum(map(len, partial.values())) == 20
    result = sync_down(site_engine, central_engine, batch_size=10)
    assert result.applied == 130  # 150 - 20: nothing applied twice...
    assert registry_state(site_engine) == registry_state(central_engine)  # ...nothing lost


def test_local_badge_gives_way_to_centrals_and_is_reported(
    site_engine: Engine, central_engine: Engine
) -> None:
    with Session(site_engine) as session, session.begin():
        local = registry.add_member(session, "Local", origin_site="here")
        registry.enroll_badge(session, local, Credential.uid("04AA0001"), KEY, origin_site="here")
    with central.session(central_engine) as db:
        holder = registry.add_member(db, "Holder")
        registry.enroll_badge(db, holder, Credential.uid("04AA0001"), KEY)
    sync_down(site_engine, central_engine, batch_size=100)
    with Session(site_engine) as session:
        badge = session.scalar(select(Badge).where(Badge.hash == badge_hash("04AA0001")))
        assert badge is not None and badge.member.first_name == "Holder"
        rejection = session.scalar(select(SyncRejection))
        assert rejection is not None and "already used at central" in rejection.reason


def test_concurrent_writers_at_central_never_make_a_site_skip_a_change(
    site_engine: Engine, central_engine: Engine
) -> None:
    # Writers hold their revisions for a while before committing; a reader that
    # advanced its cursor past an uncommitted revision would lose that row.
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        index = offset
        try:
            while not stop.is_set():
                with central.session(central_engine) as db:
                    registry.add_member(db, f"W{index}")
                    db.flush()
                    time.sleep(random.uniform(0, 0.02))
                    other = db.scalar(select(Member).order_by(Member.revision).limit(1))
                    if other is not None:
                        other.last_name = f"touched {index}"
                index += 2
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 3
    rounds = 0
    while time.monotonic() < deadline:
        sync_down(site_engine, central_engine, batch_size=3)
        rounds += 1
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors
    sync_down(site_engine, central_engine, batch_size=3)
    state = registry_state(site_engine)
    assert rounds > 3 and len(state["members"]) > 10
    assert state == registry_state(central_engine)


def test_rows_written_without_a_revision_are_stamped_and_synced(
    site_engine: Engine, central_engine: Engine
) -> None:
    # e.g. `station db upgrade --central` seeding, or the demo's people.
    with Session(central_engine) as session, session.begin():
        registry.add_member(session, "Plain")
    assert central.stamp_unrevisioned(central_engine) == 1
    sync_down(site_engine, central_engine, batch_size=10)
    assert registry_state(site_engine) == registry_state(central_engine)
    with central_engine.begin() as connection:
        connection.execute(update(Member).values(first_name="x").where(Member.revision == -1))
    assert central.stamp_unrevisioned(central_engine) == 0


def test_site_equipment_seeded_at_both_ends_is_one_row_and_only_this_sites(
    site_engine: Engine, central_engine: Engine, config_factory: Any
) -> None:
    from station.config import load_config
    from station.db import Resource
    from station.seed import seed_site

    here = load_config(config_factory())
    elsewhere = load_config(config_factory({"site": {"id": "elsewhere"}}, name="other.toml"))
    with central.session(central_engine) as db:
        seed_site(db, here)
        seed_site(db, elsewhere)
    with Session(site_engine) as session, session.begin():
        seed_site(session, here)
    with central.session(central_engine) as db:
        laser = db.scalars(
            select(Resource).where(
                Resource.site_id == here.site.id, Resource.code == "laser-cutter"
            )
        ).one()
        laser.out_of_order = True
    sync_down(site_engine, central_engine, batch_size=5, site_id=here.site.id)
    with Session(site_engine) as session:
        resources = session.scalars(select(Resource)).all()
        assert {r.site_id for r in resources} == {here.site.id}
        assert len(resources) == len({r.code for r in resources})
        laser = next(r for r in resources if r.code == "laser-cutter")
        assert laser.out_of_order and laser.revision > 0


def test_keys_are_read_from_the_models_and_parents_come_first() -> None:
    """The links sync.tables derives are those it kept by hand before, and the down
    tables are listed (and applied) parents first."""
    assert {
        child: tuple((p.column, p.table) for p in links) for child, links in PARENTS.items()
    } == {
        "memberships": (("member_id", "members"),),
        "credentials": (("member_id", "members"),),
        "member_trainings": (("member_id", "members"), ("training_code", "trainings")),
    }
    assert NATURAL_KEYS == {
        "credentials": (("hash",),),
        "member_trainings": (("member_id", "training_code"),),
        "resources": (("site_id", "code"),),
        "opening_exceptions": (("site_id", "day"),),
    }
    site_own = {"resources", "opening_hours", "opening_exceptions", "central_refusals"}
    assert frozenset(site_own) == SITE_SCOPED
    order = [table.name for table in DOWN_TABLES]
    for child, links in PARENTS.items():
        assert all(order.index(link.table) < order.index(child) for link in links)
