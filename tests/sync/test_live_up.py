"""The live page's upward path (sync.live_up) through the running service: an agent's
status reaches central as it changes, not at the next round; a check-out asked at
central is carried out at the site, where the visit is open; central gone, the site
goes on and the push is tried again."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest
from sqlalchemy import Engine, make_url, select
from sqlalchemy.orm import Session

from station import registry
from station.config import StationConfig
from station.credential import Credential
from station.db import AgentStatus, MemberKind, Visit, make_engine
from station.db.site_live import CheckoutRequest, CheckoutState, SiteAgent, SiteLink
from station.protocol import topics
from station.protocol.vocabulary import DoorState, EventType, GrantState, StatusField
from station.site_live import Alarm
from station.site_view import ask_checkout
from sync import central
from sync.errors import SyncError
from sync.live_up import LiveUpload
from sync.service import RoundReport, SyncService
from tests.support.wait import wait_for
from tests.sync.running_service import config, probe, running, seeded_site

pytestmark = pytest.mark.mqtt

__all__ = ["config", "running", "seeded_site"]


def _agent(engine: Engine, site: str, agent_id: str) -> SiteAgent | None:
    with Session(engine) as db:
        return db.get(SiteAgent, (site, agent_id))


def _count_rounds(running: SyncService) -> list[None]:
    """From now on, one item per round the service makes."""
    rounds: list[None] = []
    round_of_the_service = running.round

    def counted(*, settle: bool = False) -> RoundReport:
        rounds.append(None)
        return round_of_the_service(settle=settle)

    running.round = counted  # type: ignore[method-assign]
    return rounds


def test_a_status_reaches_central_as_it_changes(
    running: SyncService, config: StationConfig, central_engine: Engine
) -> None:
    site = config.site.id
    agent = probe(config)
    status_topic = topics.agent(site, "front-door", topics.STATUS)
    try:
        wait_for(lambda: running.bus is not None and running.bus.subscribed)
        wait_for(lambda: running.live.pushes >= 1)  # the first round's: every agent, unheard
        never = _agent(central_engine, site, "front-door")
        assert never is not None and not never.online and never.alarms == [Alarm.OFFLINE]
        time.sleep(1.0)  # the listener's wake-up on connecting makes a round: let it pass
        rounds = _count_rounds(running)
        forced = {
            StatusField.ONLINE: True,
            StatusField.KIND: "door",
            StatusField.RELAY: True,
            StatusField.DOOR: DoorState.OPEN,
            StatusField.ALARMS: [EventType.DOOR_FORCED],
        }
        agent.publish(status_topic, json.dumps(forced).encode(), retain=True)
        # The poll interval is 60 s: only the push on change brings it within seconds.
        row = wait_for(
            lambda: (a := _agent(central_engine, site, "front-door")) and a.online and a,
            timeout=10,
        )
        assert row.alarms == [Alarm.FORCED] and row.status[StatusField.RELAY] is True
        # Sync published grants it never applied (no version, no digest in its status).
        assert row.grants_state == GrantState.BEHIND
        assert rounds == []  # no round brought it: the push on change did
        # The outbox depth alone is no change the page shows: no write before the round.
        pushed = running.live.pushes
        deeper = {**forced, StatusField.OUTBOX_DEPTH: 7}
        agent.publish(status_topic, json.dumps(deeper).encode(), retain=True)
        wait_for(lambda: _site_depth(running.site_engine) == 7)
        time.sleep(0.5)
        assert running.live.pushes == pushed
        with Session(central_engine) as db:
            link = db.get(SiteLink, site)
            assert link is not None and link.version >= 2 and link.poll_s == 60
            assert link.timezone == config.site.timezone  # the console's times for it
        # The agent's last will: offline, relay off.
        will = {StatusField.ONLINE: False, StatusField.RELAY: False}
        agent.publish(status_topic, json.dumps(will).encode(), retain=True)
        row = wait_for(
            lambda: (a := _agent(central_engine, site, "front-door")) and not a.online and a,
            timeout=10,
        )
        assert row.alarms == [Alarm.OFFLINE]
    finally:
        agent.publish(status_topic, b"", retain=True)
        agent.close()


def test_an_agent_left_behind_by_a_new_version_shows_at_central_without_a_round(
    running: SyncService, config: StationConfig, central_engine: Engine
) -> None:
    """An agent in step; the site compiles a new version it does not (yet) apply: the
    live page hears `behind` from the publication, not at the next round."""
    site = config.site.id
    agent = probe(config)
    status_topic = topics.agent(site, "front-door", topics.STATUS)
    try:
        wait_for(lambda: running.bus is not None and running.bus.subscribed)
        wait_for(lambda: running.live.pushes >= 1 and running.is_published("front-door"))
        time.sleep(1.0)  # the listener's wake-up on connecting makes a round: let it pass
        held = running.compiler.current["front-door"]
        in_step = {
            StatusField.ONLINE: True,
            StatusField.KIND: "door",
            StatusField.GRANTS_VERSION: held.version,
            StatusField.GRANTS_DIGEST: held.grants_digest,
        }
        agent.publish(status_topic, json.dumps(in_step).encode(), retain=True)
        wait_for(
            lambda: (
                (a := _agent(central_engine, site, "front-door"))
                and a.grants_state == GrantState.IN_STEP
            ),
            timeout=10,
        )
        rounds = _count_rounds(running)
        with Session(running.site_engine) as session, session.begin():  # a kiosk sign-up
            member = registry.add_member(
                session,
                "Zoé",
                kind=MemberKind.STAFF,  # named by every agent's snapshot
                today=dt.date(2026, 11, 26),
                membership_until=dt.date(2030, 1, 1),
            )
            registry.enroll_badge(session, member, Credential.uid("04D1D2D3"), config.badge_key)
        wait_for(
            lambda: (
                (a := _agent(central_engine, site, "front-door"))
                and a.grants_state == GrantState.BEHIND
            ),
            timeout=10,
        )
        assert running.compiler.current["front-door"].version > held.version
        assert rounds == []  # the publication's push brought it, not a round
    finally:
        agent.publish(status_topic, b"", retain=True)
        agent.close()


def test_a_check_out_asked_at_central_is_made_at_the_site(
    running: SyncService, config: StationConfig, central_engine: Engine
) -> None:
    site = config.site.id
    now = dt.datetime.now(dt.UTC)
    with Session(running.site_engine) as db, db.begin():
        member = registry.add_member(db, "Dana", "Office", origin_site=site, today=now.date())
        db.flush()
        visit = Visit(
            member_id=member.id,
            kiosk_id="entree",
            purpose="coworking",
            space="coworking",
            checked_in_at=now - dt.timedelta(minutes=30),
            site_id=site,
        )
        db.add(visit)
        db.flush()
        visit_id = visit.id
    # No notification, the poll 60 s away: the waiting visit itself brings a round.
    wait_for(lambda: _central_visit(central_engine, visit_id) is not None, timeout=10)
    with central.session(central_engine) as db:
        request = ask_checkout(db, site, visit_id, "reception@example.org", now)
        request_id = request.id
        central.notify(db.connection(), 0)  # what the console does
    checked = wait_for(
        lambda: _closed(_central_visit(central_engine, visit_id)),
        timeout=10,
    )
    assert checked.checkout_reason == "staff"
    with Session(running.site_engine) as db:
        at_site = db.get(Visit, visit_id)
        assert at_site is not None and at_site.checked_out_at is not None
    with Session(central_engine) as db:
        settled = db.get(CheckoutRequest, request_id)
        assert settled is not None and settled.state is CheckoutState.DONE


def test_a_push_to_a_central_gone_fails_alone_and_is_tried_again(
    config: StationConfig, seeded_site: Engine, central_url: str
) -> None:
    gone = make_engine(make_url(central_url).set(port=1).render_as_string(hide_password=False))
    good = make_engine(central_url)
    try:
        live = LiveUpload(config, seeded_site, gone, lambda: dt.datetime.now(dt.UTC))
        with pytest.raises(SyncError):
            live.push()
        assert live.pending and not live.due()  # tried again later, not in a tight loop
        assert not live.round_wanted(poll_central=True)  # central gone: the round will say
        live.central_engine = good
        live.push()
        assert not live.pending and live.pushes == 1
        assert not live.round_wanted(poll_central=True)  # nothing waits
        with central.session(good) as db:
            db.add(_visit(config.site.id, uploaded=True))
            db.flush()
            ask_checkout(db, config.site.id, _last_visit(db), "a@example.org", _now())
        assert live.round_wanted(poll_central=True)  # an SQLite central is looked at
        assert not live.round_wanted(poll_central=False)  # a listened one notifies
        with Session(seeded_site) as db, db.begin():
            db.add(_visit(config.site.id, uploaded=False))
        assert live.round_wanted(poll_central=False)  # a check-in to send up
        with Session(good) as db:
            agents = db.scalars(
                select(SiteAgent.agent_id).where(SiteAgent.site_id == config.site.id)
            )
            assert set(agents) == set(config.agents)
    finally:
        gone.dispose()
        good.dispose()


def _central_visit(engine: Engine, visit_id: object) -> Visit | None:
    with Session(engine) as db:
        return db.get(Visit, visit_id)


def _closed(visit: Visit | None) -> Visit | None:
    return visit if visit is not None and visit.checked_out_at is not None else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _visit(site: str, *, uploaded: bool) -> Visit:
    """An open visit of nobody (its person gone), as the purge leaves them."""
    return Visit(
        member_id=None,
        kiosk_id="entree",
        purpose="coworking",
        space="coworking",
        checked_in_at=_now(),
        site_id=site,
        uploaded_at=_now() if uploaded else None,
    )


def _last_visit(db: Session) -> uuid.UUID:
    found = db.scalar(select(Visit.id).order_by(Visit.checked_in_at.desc()).limit(1))
    assert found is not None
    return found


def _site_depth(engine: Engine) -> object:
    with Session(engine) as db:
        row = db.get(AgentStatus, "front-door")
        return row.status.get(StatusField.OUTBOX_DEPTH) if row is not None else None
