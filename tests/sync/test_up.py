"""Up: site history and site-created registry rows -> central, idempotent, with rules."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from station import registry
from station.credential import Credential
from station.db import (
    AccessEvent,
    Badge,
    BadgeStatus,
    MachineSession,
    Member,
    MemberKind,
    SyncRejection,
    Visit,
)
from station.ids import new_event_id
from sync import central
from sync.down import sync_down
from sync.errors import CentralUnavailable
from sync.up import sync_up, upload_history
from tests.sync.support import KEY, add_people, badge_hash, history_ids, kill_connections

SITE = "site-a"
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def add_events(engine: Engine, count: int, site: str = SITE) -> None:
    with Session(engine) as session, session.begin():
        session.add_all(
            AccessEvent(
                id=new_event_id(),
                agent_id="front-door",
                resource="front-door",
                type="granted",
                reason="granted",
                at=NOW + dt.timedelta(seconds=n),
                data={"n": n},
                site_id=site,
            )
            for n in range(count)
        )


def pending(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(AccessEvent)
                .where(AccessEvent.uploaded_at.is_(None))
            ).scalar()
            or 0
        )


def test_history_is_uploaded_once_in_batches(site_engine: Engine, central_engine: Engine) -> None:
    add_events(site_engine, 25)
    assert upload_history(site_engine, central_engine, batch_size=10) == 25
    assert pending(site_engine) == 0
    assert history_ids(central_engine) == history_ids(site_engine)
    assert upload_history(site_engine, central_engine, batch_size=10) == 0
    with central_engine.connect() as connection:
        row = connection.execute(select(AccessEvent).limit(1)).one()
    assert row.site_id == SITE and row.uploaded_at is not None and "n" in row.data

    def content(engine: Engine) -> set[tuple[object, ...]]:
        with engine.connect() as connection:
            return {
                (r.id, r.at, r.data["n"], r.type, r.credential_hash)
                for r in connection.execute(select(AccessEvent))
            }

    assert content(central_engine) == content(site_engine)  # same values, not only ids


def test_replay_after_a_crash_between_central_and_site_duplicates_nothing(
    site_engine: Engine, central_engine: Engine
) -> None:
    add_events(site_engine, 30)

    def crash_after_first_send(point: str) -> None:
        if point == "up.sent":
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        upload_history(
            site_engine, central_engine, batch_size=10, checkpoint=crash_after_first_send
        )
    assert pending(site_engine) == 30  # central has 10, the site does not know
    assert len(history_ids(central_engine)["access_events"]) == 10
    assert upload_history(site_engine, central_engine, batch_size=10) == 30
    assert history_ids(central_engine) == history_ids(site_engine)


def test_upload_resumes_after_central_connection_is_killed(
    site_engine: Engine, central_engine: Engine, pg_server_url: str
) -> None:
    add_events(site_engine, 40)
    calls = {"n": 0}

    def kill_after_second_batch(point: str) -> None:
        calls["n"] += 1
        if point == "up.sent" and calls["n"] == 2:
            kill_connections(pg_server_url, central_engine.url.database or "")

    upload_history(
        site_engine, central_engine, batch_size=10, checkpoint=kill_after_second_batch
    )  # the pool reconnects (pre-ping)
    assert history_ids(central_engine) == history_ids(site_engine)
    assert pending(site_engine) == 0


def test_central_down_leaves_everything_pending(site_engine: Engine) -> None:
    from station.db import make_engine

    add_events(site_engine, 5)
    dead = make_engine(
        "postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 2}
    )
    try:
        with pytest.raises(CentralUnavailable):
            sync_up(site_engine, dead, SITE, batch_size=10)
    finally:
        dead.dispose()
    assert pending(site_engine) == 5


def test_visits_and_sessions_changed_after_upload_are_sent_again(
    site_engine: Engine, central_engine: Engine
) -> None:
    with Session(site_engine) as session, session.begin():
        member = registry.add_member(session, "Visitor", origin_site=SITE)
        session.add(
            Visit(
                member_id=member.id,
                kiosk_id="entrance",
                purpose="fablab",
                space="fablab",
                site_id=SITE,
            )
        )
        session.add(
            MachineSession(
                id=new_event_id(), agent_id="laser", resource="laser", started_at=NOW, site_id=SITE
            )
        )
    sync_up(site_engine, central_engine, SITE, batch_size=10)
    with Session(site_engine) as session, session.begin():
        for row in session.scalars(select(Visit)):
            row.checked_out_at, row.uploaded_at = NOW, None
        for ms in session.scalars(select(MachineSession)):
            ms.ended_at, ms.duration_s, ms.uploaded_at = NOW, 60.0, None
    sync_up(site_engine, central_engine, SITE, batch_size=10)
    with Session(central_engine) as session:
        assert session.scalars(select(Visit)).one().checked_out_at == NOW
        assert session.scalars(select(MachineSession)).one().duration_s == 60.0


def test_site_sign_up_and_enrolment_reach_central(
    site_engine: Engine, central_engine: Engine
) -> None:
    with Session(site_engine) as session, session.begin():
        member = registry.add_member(
            session,
            "Newcomer",
            kind=MemberKind.VISITOR,
            origin_site=SITE,
            membership_until=dt.date(2027, 1, 1),
        )
        registry.enroll_badge(session, member, Credential.uid("04BB0001"), KEY, origin_site=SITE)
    result = sync_up(site_engine, central_engine, SITE, batch_size=10)
    assert (result.registry, result.rejected) == (3, 0)
    with Session(central_engine) as session:
        badge = session.scalar(select(Badge).where(Badge.hash == badge_hash("04BB0001")))
        assert badge is not None and badge.origin_site == SITE and badge.revision > 0
        assert badge.member.first_name == "Newcomer"
    with Session(site_engine) as session:
        assert not session.scalars(select(Member).where(Member.dirty.is_(True))).all()
    # Replayed (e.g. the site lost its acknowledgement): accepted, nothing doubled.
    with site_engine.begin() as connection:
        connection.execute(update(Member).values(dirty=True))
    assert sync_up(site_engine, central_engine, SITE, batch_size=10).rejected == 0
    sync_down(site_engine, central_engine, batch_size=10)
    with Session(central_engine) as session:
        assert session.scalar(select(func.count()).select_from(Member)) == 1


def test_badge_held_by_someone_else_at_central_is_refused_with_the_reason(
    site_engine: Engine, central_engine: Engine
) -> None:
    with central.session(central_engine) as db:
        holder = registry.add_member(db, "Alice", "Martin")
        registry.enroll_badge(db, holder, Credential.uid("04CC0001"), KEY)
    with Session(site_engine) as session, session.begin():
        member = registry.add_member(session, "Bob", origin_site=SITE)
        registry.enroll_badge(session, member, Credential.uid("04CC0001"), KEY, origin_site=SITE)
    result = sync_up(site_engine, central_engine, SITE, batch_size=10)
    assert (result.registry, result.rejected) == (1, 1)  # Bob yes, his badge no
    with Session(site_engine) as session:
        rejection = session.scalars(select(SyncRejection)).one()
        assert rejection.entity == "credentials"
        assert "already held by Alice Martin" in rejection.reason
        # Refused: it no longer opens anything here.
        assert session.scalar(select(Badge).where(Badge.hash == badge_hash("04CC0001"))) is None
    sync_down(site_engine, central_engine, batch_size=10)
    with Session(site_engine) as session:
        badge = session.scalar(select(Badge).where(Badge.hash == badge_hash("04CC0001")))
        assert badge is not None and badge.member.first_name == "Alice"


def test_central_wins_when_both_changed_the_same_row(
    site_engine: Engine, central_engine: Engine
) -> None:
    uids = add_people(central_engine, 2)
    sync_down(site_engine, central_engine, batch_size=10)
    # The site revokes badge 0 (lost badge reported at the desk): central takes it.
    with Session(site_engine) as session, session.begin():
        badge = registry.badge_by_hash(session, badge_hash(uids[0]))
        assert badge is not None
        registry.revoke_badge(session, badge, status=BadgeStatus.LOST, origin_site=SITE)
    # Badge 1 is changed at both ends: central's version stays.
    with Session(site_engine) as session, session.begin():
        badge = registry.badge_by_hash(session, badge_hash(uids[1]))
        assert badge is not None
        badge.label, badge.dirty = "site label", True
    with central.session(central_engine) as db:
        badge = db.scalar(select(Badge).where(Badge.hash == badge_hash(uids[1])))
        assert badge is not None
        badge.label = "central label"
    result = sync_up(site_engine, central_engine, SITE, batch_size=10)
    assert (result.registry, result.rejected) == (1, 1)
    sync_down(site_engine, central_engine, batch_size=10)
    for engine in (site_engine, central_engine):
        with Session(engine) as session:
            lost = registry.badge_by_hash(session, badge_hash(uids[0]))
            kept = registry.badge_by_hash(session, badge_hash(uids[1]))
            assert lost is not None and lost.status is BadgeStatus.LOST
            assert kept is not None and kept.label == "central label"
    with Session(site_engine) as session:
        assert "changed at central" in session.scalars(select(SyncRejection)).one().reason


def test_a_change_made_while_its_row_is_being_uploaded_is_sent_again(
    site_engine: Engine, central_engine: Engine
) -> None:
    """A check-out, a purpose chosen or a session ended between the read of a batch and
    its marking as uploaded must not be marked as uploaded with it (it was not)."""
    from station.checkin import Desk
    from station.schedule import Schedule

    desk = Desk(
        SITE,
        "entrance",
        "Europe/Paris",
        {"fablab": "fablab", "coworking": "cowork"},
        Schedule.open_always(),  # these tests check out explicitly
    )
    with Session(site_engine) as session, session.begin():
        member = registry.add_member(session, "Visitor", origin_site=SITE)
        visit_id = desk.check_in(session, member, "fablab", NOW).id
        session_id = new_event_id()
        session.add(
            MachineSession(
                id=session_id, agent_id="laser", resource="laser", started_at=NOW, site_id=SITE
            )
        )

    def edit_meanwhile(point: str) -> None:
        if point != "up.sent":
            return
        with Session(site_engine) as session, session.begin():
            if session.get(Visit, visit_id).checked_out_at is None:  # type: ignore[union-attr]
                desk.choose_purpose(session, visit_id, "coworking")
                desk.check_out(session, visit_id, NOW + dt.timedelta(hours=1))
            ms = session.get(MachineSession, session_id)
            assert ms is not None
            if ms.ended_at is None:
                ms.ended_at, ms.duration_s, ms.uploaded_at = NOW, 60.0, None

    sync_up(site_engine, central_engine, SITE, batch_size=10, checkpoint=edit_meanwhile)
    sync_up(site_engine, central_engine, SITE, batch_size=10)
    with Session(central_engine) as session:
        visit = session.scalars(select(Visit)).one()
        assert visit.checked_out_at == NOW + dt.timedelta(hours=1)
        assert (visit.purpose, visit.space) == ("coworking", "cowork")
        assert session.scalars(select(MachineSession)).one().duration_s == 60.0


def test_a_purpose_chosen_after_the_upload_reaches_central(
    site_engine: Engine, central_engine: Engine
) -> None:
    from station.checkin import Desk
    from station.schedule import Schedule

    desk = Desk(
        SITE,
        "entrance",
        "Europe/Paris",
        {"fablab": "fablab", "coworking": "cowork"},
        Schedule.open_always(),  # these tests check out explicitly
    )
    with Session(site_engine) as session, session.begin():
        member = registry.add_member(session, "Visitor", origin_site=SITE)
        visit_id = desk.check_in(session, member, "fablab", NOW).id
    sync_up(site_engine, central_engine, SITE, batch_size=10)
    with Session(site_engine) as session, session.begin():
        desk.choose_purpose(session, visit_id, "coworking")
    sync_up(site_engine, central_engine, SITE, batch_size=10)
    with Session(central_engine) as session:
        visit = session.scalars(select(Visit)).one()
        assert (visit.purpose, visit.space) == ("coworking", "cowork")
