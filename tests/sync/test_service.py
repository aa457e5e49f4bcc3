"""The sync service with a real broker and a PostgreSQL central: events in, grants out."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station.config import StationConfig, load_config
from station.db import AccessEvent, AgentStatus, MachineSession, UsageTally
from station.ids import new_event_id
from station.protocol import topics
from station.protocol.events import decode_ack
from station.protocol.grant_deltas import read_delta
from station.protocol.vocabulary import EventType
from station.seed import seed_site
from sync.service import SyncService
from sync.settle import SETTLE_S
from tests.support.keys import ANY_MOMENT, read_site_snapshot, site_trust
from tests.support.wait import wait_for
from tests.sync.running_service import (
    NOW,
    config,
    count,
    event,
    probe,
    running,
    seeded_site,
)
from tests.sync.support import add_people, badge_hash, revoke

pytestmark = pytest.mark.mqtt  # the service and the probes talk through the test broker

__all__ = ["config", "running", "seeded_site"]  # fixtures, used by name


def test_events_are_stored_once_then_acknowledged(
    running: SyncService, config: StationConfig
) -> None:
    site = config.site.id
    agent = probe(config, topics.agent(site, "laser-cutter", topics.ACKS))
    try:
        events = [event() for _ in range(20)]
        wait_for(lambda: running.bus is not None and running.bus.subscribed)
        for item in events + events[:5]:  # five resent, as after a lost ack
            agent.publish(topics.agent(site, "laser-cutter", topics.EVENTS), item.encode())
        agent.publish(topics.agent(site, "laser-cutter", topics.EVENTS), b"{not json")
        agent.publish(
            topics.agent(site, "laser-cutter", topics.EVENTS),
            json.dumps({"id": "x", "type": "granted"}).encode(),
        )
        acked: set[str] = set()
        while len(acked) < 20:
            _topic, payload, _ = agent.wait_for(lambda t, p: True)
            acked |= set(decode_ack(payload))
        assert acked == {str(e.id) for e in events}
        # Acknowledged means stored: the rows are there when the ack is.
        assert count(running.site_engine, AccessEvent) == 20
        wait_for(lambda: running.counters["malformed_events"] == 2)
        assert running.counters["events_stored"] >= 20
    finally:
        agent.close()


def test_machine_sessions_are_built_from_start_and_end(
    running: SyncService, config: StationConfig
) -> None:
    site = config.site.id
    agent = probe(config)
    try:
        session_id = str(uuid.uuid4())
        start = event(EventType.SESSION_STARTED, session_id=session_id, started_at=NOW.isoformat())
        end = event(
            EventType.SESSION_ENDED,
            session_id=session_id,
            started_at=NOW.isoformat(),
            ended_at=(NOW + dt.timedelta(minutes=3)).isoformat(),
            duration_s=180.0,
            end_reason="badge_removed",
        )
        orphan_end = event(EventType.SESSION_ENDED, duration_s=30.0, end_reason="idle_timeout")
        # The body names another agent: the topic (which the broker's ACL vouches for) wins.
        forged = replace(event(EventType.MACHINE_STATE, state="free"), agent="front-door")
        wait_for(lambda: running.bus is not None and running.bus.subscribed)
        for item in (end, start, orphan_end, forged):  # out of order on purpose
            agent.publish(topics.agent(site, "laser-cutter", topics.EVENTS), item.encode())
        wait_for(lambda: count(running.site_engine, AccessEvent) == 4)
        with Session(running.site_engine) as db:
            assert set(db.scalars(select(AccessEvent.agent_id))) == {"laser-cutter"}
        with Session(running.site_engine) as db:
            rows = {str(r.id): r for r in db.scalars(select(MachineSession))}
        assert rows[session_id].duration_s == 180.0
        assert rows[session_id].end_reason == "badge_removed"
        assert rows[session_id].started_at == NOW
        other = rows[str(orphan_end.id)]
        assert other.started_at == NOW - dt.timedelta(seconds=30)
        # The site's daily machine tallies, kept in the same transaction as the sessions.
        with Session(running.site_engine) as db:
            cells = db.scalars(select(UsageTally)).all()
        # 10:59:30 and 11:00 in Paris: two local hours of one day.
        assert sorted((c.day, c.hour, c.machine, c.sessions, c.seconds) for c in cells) == [
            (NOW.date(), 10, "laser-cutter", 1, 30.0),
            (NOW.date(), 11, "laser-cutter", 1, 180.0),
        ]
    finally:
        agent.close()


def test_agent_status_is_kept_for_the_staff_screen(
    running: SyncService, config: StationConfig
) -> None:
    agent = probe(config)
    try:
        # The malformed message below is not retained: sync must be listening already.
        wait_for(lambda: running.bus is not None and running.bus.subscribed)
        status = {
            "online": True,
            "grants_version": 1,
            "outbox_depth": 3,
            "alarms": ["door_held_open"],
        }
        agent.publish(
            topics.agent(config.site.id, "front-door", topics.STATUS),
            json.dumps(status).encode(),
            retain=True,
        )
        agent.publish(topics.agent(config.site.id, "front-door", topics.STATUS), b"\xff")

        def stored() -> bool:
            with Session(running.site_engine) as db:
                row = db.get(AgentStatus, "front-door")
                return row is not None and row.status.get("outbox_depth") == 3

        wait_for(stored)
        with Session(running.site_engine) as db:
            row = db.get(AgentStatus, "front-door")
            assert row is not None and row.online and row.status["alarms"] == ["door_held_open"]
        wait_for(lambda: running.counters["malformed_status"] == 1)
    finally:
        agent.publish(topics.agent(config.site.id, "front-door", topics.STATUS), b"", retain=True)
        agent.close()


def test_revocation_at_central_reaches_the_retained_snapshot_within_seconds(
    config: StationConfig, seeded_site: Engine, central_engine: Engine, running: SyncService
) -> None:
    from station.credential import Credential

    uids = add_people(central_engine, 5)
    site = config.site.id
    grants_topic = topics.agent(site, "front-door", topics.GRANTS)
    # support.add_people hashes with the tests' key; the site hashes the same way here.
    target = Credential.uid(uids[2]).keyed_hash(b"test-site-key-0123456789")
    watcher = probe(config, grants_topic)
    try:

        def has(revoked: bool) -> Callable[[str, bytes], bool]:
            def check(_topic: str, payload: bytes) -> bool:
                entry = read_site_snapshot(config, payload, "front-door")["grants"].get(target)
                return entry is not None and entry["revoked"] is revoked

            return check

        _topic, first, _retained = watcher.wait_for(has(False), timeout=15)  # LISTEN woke it
        base = read_site_snapshot(config, first, "front-door")["version"]
        deltas = probe(config, topics.agent(site, "front-door", topics.GRANTS_DELTA))
        try:
            started = time.monotonic()
            revoke(central_engine, uids[2])
            _topic, delta, _retained = deltas.wait_for(lambda _t, _p: True, timeout=10)
            elapsed = time.monotonic() - started
        finally:
            deltas.close()
        body = read_delta(delta, "front-door", site_trust(config).site, ANY_MOMENT, base)
        assert body["upsert"][target]["revoked"] is True and len(body["upsert"]) == 1
        print(f"central revocation -> delta: {elapsed * 1000:.0f} ms")
        assert elapsed < 5.0  # poll interval is 60 s: only LISTEN explains this
        # The whole snapshot follows once the changes settle (sync/settle.py).
        watcher.wait_for(has(True), timeout=SETTLE_S + 10)
        assert time.monotonic() - started >= SETTLE_S
    finally:
        watcher.close()
    late = probe(config, grants_topic)  # an agent (re)connecting gets it retained
    try:
        _topic, _payload, retained = late.wait_for(has(True), timeout=5)
        assert retained
    finally:
        late.close()


def test_events_sent_while_sync_is_away_wait_at_the_broker(
    config: StationConfig, seeded_site: Engine, central_engine: Engine
) -> None:
    site = config.site.id
    with SyncService(
        config, site_engine=seeded_site, central_engine=central_engine, listen=False
    ) as first:
        assert first.run_once().ok  # creates the persistent session at the broker
    agent = probe(config)
    try:
        away = [event() for _ in range(10)]
        for item in away:
            agent.publish(topics.agent(site, "laser-cutter", topics.EVENTS), item.encode())
    finally:
        agent.close()
    with SyncService(
        config, site_engine=seeded_site, central_engine=central_engine, listen=False
    ) as second:
        report = second.run_once()
        assert report.ok
    assert count(seeded_site, AccessEvent) == 10


def test_once_fails_when_central_is_unreachable(config: StationConfig, seeded_site: Engine) -> None:
    from station.db import make_engine

    dead = make_engine(
        "postgresql+psycopg://nobody@127.0.0.1:9/none", connect_args={"connect_timeout": 2}
    )
    try:
        with SyncService(
            config, site_engine=seeded_site, central_engine=dead, listen=False
        ) as service:
            report = service.run_once()
    finally:
        dead.dispose()
    assert not report.ok and "central" in report.error
    assert sorted(report.published) == sorted(config.agents)  # agents still get grants


def test_broker_restart_without_persistence_gets_the_snapshots_again(
    config_factory: Callable[..., Path],
    seeded_site: Engine,
    central_engine: Engine,
    private_broker: Any,
) -> None:
    config = load_config(
        config_factory(
            {
                "site": {"id": "restart-site"},
                "central": {"poll_interval_s": 60},
                "mqtt": {"port": private_broker.port},
            }
        )
    )
    with Session(seeded_site) as session, session.begin():
        seed_site(session, config)
    service = SyncService(config, site_engine=seeded_site, central_engine=central_engine)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    grants = topics.agent(config.site.id, "front-door", topics.GRANTS)
    with service:
        thread.start()
        try:
            wait_for(lambda: service.is_published("front-door"))
            before = len(service.published_log)
            private_broker.stop()  # retained messages are lost with it
            wait_for(lambda: service.states.get("broker", "").startswith("disconnected"))
            private_broker.start()
            wait_for(lambda: service.states.get("broker") == "connected", timeout=40)
            wait_for(lambda: len(service.published_log) > before, what="a new publication")
            # A first subscriber sees the snapshot once the broker has it (live or
            # retained, depending on who came first); the next one must get it retained.
            first = probe(config, grants)
            try:
                first.wait_for(lambda t, p: True, timeout=10)
            finally:
                first.close()
            watcher = probe(config, grants)
            try:
                _topic, payload, retained = watcher.wait_for(lambda t, p: True, timeout=10)
                assert retained
                body = read_site_snapshot(config, payload, "front-door")
                assert body["version"] == service.compiler.current["front-door"].version
            finally:
                watcher.close()
        finally:
            stop.set()
            service.wake()
            thread.join(10)


def test_events_the_database_cannot_hold_are_refused_and_the_rest_stored(
    running: SyncService, config: StationConfig
) -> None:
    """Valid JSON but unstorable (a time out of range in UTC, NaN, a field too long for
    central's column, a NUL): counted and refused; sync keeps going. Session ends with
    nonsense times are stored without them."""
    site = config.site.id
    agent = probe(config, topics.agent(site, "laser-cutter", topics.ACKS))
    topic = topics.agent(site, "laser-cutter", topics.EVENTS)
    good = event()
    base = json.loads(good.encode())
    poison = [
        {**base, "id": str(new_event_id()), "at": "0001-01-01T00:00:00+05:00"},
        {**base, "id": str(new_event_id()), "reason": "r" * 100},
        {**base, "id": str(new_event_id()), "reason": "a\u0000b"},
        {**base, "id": str(new_event_id()), "data": {"x": float("nan")}},
    ]
    odd_ends = [
        {**base, "id": str(new_event_id()), "type": "session_ended", "data": {"duration_s": 1e300}},
        {
            **base,
            "id": str(new_event_id()),
            "type": "session_ended",
            "at": "0001-01-01T00:00:00+00:00",
            "data": {"duration_s": 60},
        },
        {
            **base,
            "id": str(new_event_id()),
            "type": "session_ended",
            "data": {"started_at": "0001-01-01T00:30:00+05:00"},
        },
    ]
    try:
        wait_for(lambda: running.bus is not None and running.bus.subscribed)
        for body in poison + odd_ends:
            agent.publish(topic, json.dumps(body).encode())
        agent.publish(topic, good.encode())
        agent.wait_for(lambda t, p: str(good.id) in decode_ack(p))
        with Session(running.site_engine) as db:
            assert {str(i) for i in db.scalars(select(AccessEvent.id))} == {
                str(good.id),
                *(body["id"] for body in odd_ends),
            }
            sessions = list(db.scalars(select(MachineSession)))
        assert len(sessions) == len(odd_ends)
        assert all(row.duration_s is None or row.duration_s == 60 for row in sessions)
        wait_for(lambda: running.counters["malformed_events"] == len(poison))
    finally:
        agent.close()


def test_a_site_database_failure_while_compiling_grants_does_not_stop_sync(
    config: StationConfig, seeded_site: Engine, central_engine: Engine
) -> None:
    from sqlalchemy import event as sa_event
    from sqlalchemy.exc import OperationalError

    def locked(connection: object) -> None:
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    with SyncService(
        config, site_engine=seeded_site, central_engine=central_engine, mqtt=False, listen=False
    ) as service:
        sa_event.listen(seeded_site, "commit", locked)
        try:
            assert service.publish_grants() == []
            assert "unavailable" in service.states["site"]
        finally:
            sa_event.remove(seeded_site, "commit", locked)
        service.publish_grants()
        assert sorted(service.compiler.current) == sorted(config.agents)
        assert service.states["site"] == "ok"


def test_a_damaged_keys_directory_stops_signing_not_sync(
    config: StationConfig, seeded_site: Engine, central_engine: Engine
) -> None:
    """A trust list gone unreadable at runtime: nothing is signed (the agents keep the
    snapshot in force), it is said and counted, and signing resumes once restored."""
    trust = config.keys_dir / "trust.json"
    with SyncService(
        config, site_engine=seeded_site, central_engine=central_engine, mqtt=False, listen=False
    ) as service:
        kept = trust.read_bytes()
        trust.write_text("{not json", encoding="utf-8")
        assert service.publish_grants() == []
        service.publish_beacons()  # no bus: returns before signing; must not raise either
        assert service.compiler.current == {}
        assert service.states["keys"].startswith("cannot sign")
        assert service.counters["keys_unusable"] == 1
        trust.write_bytes(kept)
        service.publish_grants()
        assert sorted(service.compiler.current) == sorted(config.agents)
        assert service.states["keys"] == "ok"


def test_a_status_with_an_absurd_grants_version_is_not_followed(
    running: SyncService, config: StationConfig
) -> None:
    """The site goes past a version an agent says it holds, but not past what its
    database can store: 2**64 must not stop grants (or sync)."""
    site = config.site.id
    agent = probe(config, topics.agent(site, "laser-cutter", topics.ACKS))
    try:
        wait_for(lambda: running.is_published("front-door"))
        version = running.compiler.current["front-door"].version
        agent.publish(
            topics.agent(site, "front-door", topics.STATUS),
            json.dumps({"online": True, "grants_version": 2**64}).encode(),
        )
        good = event()
        agent.publish(topics.agent(site, "laser-cutter", topics.EVENTS), good.encode())
        agent.wait_for(lambda t, p: str(good.id) in decode_ack(p))
        time.sleep(1.5)  # a local check (LOCAL_CHECK_S) compiles again
        assert running.is_published("front-door")
        assert running.compiler.current["front-door"].version == version
        assert running.states.get("site", "ok") == "ok"
    finally:
        agent.publish(topics.agent(site, "front-door", topics.STATUS), b"", retain=True)
        agent.close()


def test_a_refused_event_is_recorded_and_acknowledged(
    running: SyncService, config: StationConfig
) -> None:
    """Never acknowledged, refused events would stay in the agent's window of 500
    unacknowledged events for good, and once 500 had piled up (an agent newer than
    sync, with a new event type) its whole outbox would stop flowing. Recorded for
    staff instead (sync_rejections, once), then acknowledged."""
    from station.db import SyncRejection

    site = config.site.id
    agent = probe(config, topics.agent(site, "laser-cutter", topics.ACKS))
    topic = topics.agent(site, "laser-cutter", topics.EVENTS)
    newer = {**json.loads(event().encode()), "id": str(new_event_id()), "type": "teleported"}
    good = event()
    try:
        wait_for(lambda: running.bus is not None and running.bus.subscribed)
        acked: set[str] = set()
        for _ in range(2):  # sent again, as after a lost ack: recorded once
            agent.publish(topic, json.dumps(newer).encode())
            agent.publish(topic, good.encode())
            while not {newer["id"], str(good.id)} <= acked:
                _topic, payload, _ = agent.wait_for(lambda t, p: True)
                acked |= set(decode_ack(payload))
            acked.clear()
        with Session(running.site_engine) as db:
            assert set(db.scalars(select(AccessEvent.id))) == {good.id}
            rejection = db.scalars(select(SyncRejection)).one()
        assert str(rejection.id) == newer["id"]
        assert (rejection.entity, rejection.entity_id) == ("agent_event", "laser-cutter")
        assert "teleported" in rejection.reason and not rejection.resolved
    finally:
        agent.close()


def test_the_whole_reading_is_made_in_the_background_once_changes_settle(
    config: StationConfig, seeded_site: Engine, central_engine: Engine
) -> None:
    """Settling signs from the cache and, the check being due, starts the whole reading
    in its thread; the loop takes it in when it arrives on the queue."""
    uids = add_people(central_engine, 3)
    with SyncService(
        config, site_engine=seeded_site, central_engine=central_engine, mqtt=False, listen=False
    ) as service:
        assert service.round().ok
        assert service.compiler.full_readings == 1
        service.compiler.reconcile_s = 0.0  # due at once
        revoke(central_engine, uids[0])
        assert service.round(settle=True).ok
        assert service.compiler.unsettled == []
        assert service.compiler.full_readings == 1  # settled from the cache, on the loop
        item = service.inbox.get(timeout=30)  # the reading, from its thread
        service._handle([item])
        assert service.compiler.full_readings == 2
        revoked = badge_hash(uids[0])
        for snapshot in service.compiler.current.values():
            entry = snapshot.entries.get(revoked)
            assert entry is None or entry["revoked"], snapshot.agent_id
