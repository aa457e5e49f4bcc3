"""Property: any interleaving of central edits, site activity, sync rounds and failures
converges, with nothing lost and nothing doubled, once sync is allowed to finish."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from station import registry
from station.credential import Credential
from station.db import AccessEvent, Badge, Base, Member, Training, make_engine, upgrade
from station.errors import Conflict
from station.ids import new_event_id
from sync import central
from sync.down import sync_down
from sync.errors import SyncError
from sync.tables import DOWN_TABLES
from sync.up import sync_up
from tests.support.sqlite_copy import copy_sqlite
from tests.sync.support import KEY, history_ids, kill_connections, registry_state

SITE = "site-a"
UIDS = [f"04{n:06X}" for n in range(12)]  # few, so central and site collide often
POINTS = ("down.rows", "down.pulled", "down.applied", "up.sent")


class Interrupted(Exception):
    pass


class Convergence(RuleBasedStateMachine):
    central_engine: Engine
    template: Path
    directory: Path
    admin_url: str

    def __init__(self) -> None:
        super().__init__()
        with self.central_engine.begin() as connection:
            names = ", ".join(
                t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "alembic_version"
            )
            connection.execute(text(f"TRUNCATE {names}"))
        path = self.directory / f"site-{new_event_id()}.db"
        self.site = make_engine(copy_sqlite(self.template, path))
        self.events = 0

    @initialize()
    def trainings(self) -> None:
        with central.session(self.central_engine) as db:
            db.add(Training(code="laser", name_fr="Laser", name_en="Laser"))

    # -- central ------------------------------------------------------------------------

    @rule(name=st.sampled_from(["Ana", "Ben", "Cy"]), uid=st.sampled_from(UIDS))
    def central_enrol(self, name: str, uid: str) -> None:
        with central.session(self.central_engine) as db:
            member = registry.add_member(db, name, membership_until=dt.date(2030, 1, 1))
            try:
                with db.begin_nested():
                    registry.enroll_badge(db, member, Credential.uid(uid), KEY)
            except Conflict:
                pass

    @rule(pick=st.integers(0, 50), action=st.sampled_from(["revoke", "delete", "rename", "train"]))
    def central_change(self, pick: int, action: str) -> None:
        with central.session(self.central_engine) as db:
            members = db.scalars(select(Member).order_by(Member.created_at, Member.id)).all()
            if not members:
                return
            member = members[pick % len(members)]
            if action == "revoke" and member.badges:
                registry.revoke_badge(db, member.badges[0])
            elif action == "delete":
                central.tombstone(db, member)
            elif action == "rename":
                member.last_name = f"r{pick}"
            elif action == "train":
                registry.grant_training(db, member, "laser")

    # -- site ---------------------------------------------------------------------------

    @rule(count=st.integers(1, 5))
    def site_events(self, count: int) -> None:
        with Session(self.site) as session, session.begin():
            for _ in range(count):
                session.add(
                    AccessEvent(
                        id=new_event_id(),
                        agent_id="door",
                        resource="door",
                        type="granted",
                        at=dt.datetime.now(dt.UTC),
                        site_id=SITE,
                    )
                )
        self.events += count

    @rule(uid=st.sampled_from(UIDS))
    def site_sign_up(self, uid: str) -> None:
        with Session(self.site) as session, session.begin():
            member = registry.add_member(session, "Walk-in", origin_site=SITE)
            try:
                with session.begin_nested():
                    registry.enroll_badge(
                        session, member, Credential.uid(uid), KEY, origin_site=SITE
                    )
            except Conflict:
                pass

    @rule(uid=st.sampled_from(UIDS))
    def site_report_lost(self, uid: str) -> None:
        with Session(self.site) as session, session.begin():
            badge = registry.badge_by_hash(session, Credential.uid(uid).keyed_hash(KEY))
            if badge is not None:
                registry.revoke_badge(session, badge, origin_site=SITE)

    # -- sync ---------------------------------------------------------------------------

    @rule(batch=st.integers(1, 6))
    def sync_round(self, batch: int) -> None:
        sync_up(self.site, self.central_engine, SITE, batch_size=batch)
        sync_down(self.site, self.central_engine, batch_size=batch)

    @rule(
        batch=st.integers(1, 6),
        point=st.sampled_from(POINTS),
        after=st.integers(1, 3),
        kill=st.booleans(),
    )
    def failing_round(self, batch: int, point: str, after: int, kill: bool) -> None:
        seen = {"n": 0}

        def fail(name: str) -> None:
            if name == point:
                seen["n"] += 1
                if seen["n"] == after:
                    if kill:
                        kill_connections(self.admin_url, self.central_engine.url.database or "")
                    else:
                        raise Interrupted(name)

        try:
            sync_up(self.site, self.central_engine, SITE, batch_size=batch, checkpoint=fail)
            sync_down(self.site, self.central_engine, batch_size=batch, checkpoint=fail)
        except (Interrupted, SyncError):
            pass

    def teardown(self) -> None:
        try:
            for _ in range(2):  # the second round finds nothing left to do
                sync_up(self.site, self.central_engine, SITE, batch_size=50)
                sync_down(self.site, self.central_engine, batch_size=50)
            assert registry_state(self.site) == registry_state(self.central_engine)
            assert history_ids(self.site) == history_ids(self.central_engine)
            assert len(history_ids(self.central_engine)["access_events"]) == self.events
            with self.site.connect() as connection:
                for table in DOWN_TABLES:
                    assert (
                        connection.execute(
                            select(func.count()).select_from(table).where(table.c.dirty.is_(True))
                        ).scalar()
                        == 0
                    )
            with Session(self.central_engine) as db:  # a badge hash is held once
                hashes = db.scalars(select(Badge.hash)).all()
                assert len(hashes) == len(set(hashes))
        finally:
            self.site.dispose()


@pytest.mark.timeout(600)
def test_any_interleaving_converges(
    central_url: str, central_engine: Engine, pg_server_url: str, tmp_path: Path
) -> None:
    template = tmp_path / "template.db"
    upgrade(f"sqlite:///{template}")
    attributes: dict[str, Any] = {
        "central_engine": central_engine,
        "template": template,
        "directory": tmp_path,
        "admin_url": pg_server_url,
    }
    machine = type("ConvergenceHere", (Convergence,), attributes)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
