"""A backlog of waiting events replayed to the site (real broker; the real sync service
where the site database is the judge): all of it, once, in order, in batches; the
window opens only once the site acknowledges; a crash mid-way loses nothing."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from door_agent.inbox import MqttMessage
from door_agent.sender import DRAIN_WINDOW, PROBE_WINDOW, RESEND_S
from station.config import StationConfig
from station.db import make_engine, upgrade
from station.protocol import topics
from station.protocol.beacon import make_beacon
from station.protocol.keys import SigningKey
from station.seed import seed_site
from sync.service import SyncService
from tests.support.agents import TIMEOUT, FakeClock, agent_overrides
from tests.support.backlog import MARK, fill_outbox, outbox_depth
from tests.support.cli import station_argv
from tests.support.wait import wait_for

pytestmark = pytest.mark.mqtt

AGENT = "front-door"
OVERRIDES = {
    "central": {"poll_interval_s": 3600},
    **agent_overrides(**{AGENT: {"pins": {"contact": 0}}}),
}


@pytest.fixture
def site(make_config) -> Iterator[tuple[StationConfig, Engine, SyncService]]:  # type: ignore[no-untyped-def]
    """The site: its database and the sync service, running."""
    config = make_config(OVERRIDES)
    upgrade(config.resolve_url(config.central.url))
    upgrade(config.resolve_url(config.database.url))
    engine = make_engine(config.resolve_url(config.database.url))
    with Session(engine) as session, session.begin():
        seed_site(session, config)
    service = SyncService(config, site_engine=engine, listen=False)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    with service:
        thread.start()
        yield config, engine, service
        stop.set()
        service.wake()
        thread.join(10)
    engine.dispose()


def stored(engine: Engine) -> list[str]:
    """The backlog's events in the site database, in the order they were inserted."""
    with engine.connect() as db:
        rows = db.execute(
            text("SELECT id FROM access_events WHERE credential_hash = :m ORDER BY rowid"),
            {"m": MARK},
        )
        return [str(row[0]) for row in rows]


def hexes(ids: list[str]) -> list[str]:
    return [i.replace("-", "") for i in ids]  # SQLite keeps a UUID as 32 hex digits


def test_a_backlog_reaches_the_site_database_once_in_order_in_batches(site, run_agent) -> None:  # type: ignore[no-untyped-def]
    config, engine, service = site
    ids = fill_outbox(config.agent_data_dir(AGENT) / "outbox.db", AGENT, 6000)
    agent = run_agent(config, AGENT)
    wait_for(lambda: len(stored(engine)) >= len(ids), timeout=60, what="the backlog stored")
    assert stored(engine) == hexes(ids)  # once each, in the order the agent committed them
    wait_for(lambda: agent.call(lambda: agent.agent.outbox.depth) == 0, what="all acknowledged")
    # Batches: far fewer messages than events, and acks covering many ids each.
    assert 0 < service.counters["event_batches"] < len(ids) / 20


def test_the_window_opens_once_the_site_acknowledges(make_config, run_agent, make_site) -> None:  # type: ignore[no-untyped-def]
    config = make_config(OVERRIDES)
    site = make_site(config, AGENT, auto_ack=False)
    ids = fill_outbox(config.agent_data_dir(AGENT) / "outbox.db", AGENT, 3 * PROBE_WINDOW)
    agent = run_agent(config, AGENT)
    sender = agent.agent.loop.sender

    def backlog_seen() -> list[str]:
        with site.lock:
            return [str(e.id) for e in site.events if e.credential_hash == MARK]

    # Nobody has answered yet: a probe's worth, which is all a sync away would queue.
    wait_for(lambda: len(backlog_seen()) >= PROBE_WINDOW, what="the probe window")
    assert agent.call(lambda: sender.in_flight) == PROBE_WINDOW
    assert backlog_seen() == ids[:PROBE_WINDOW]
    site.ack_all()
    wait_for(lambda: len(backlog_seen()) == len(ids), what="the rest, once acks flow")
    assert backlog_seen() == ids  # in order
    assert PROBE_WINDOW < agent.call(lambda: sender.in_flight) <= DRAIN_WINDOW
    assert site.messages < len(ids) / 20 and site.duplicates == 0
    site.ack_all()
    wait_for(lambda: agent.call(lambda: agent.agent.outbox.depth) <= 1, what="acknowledged")


def test_a_crash_mid_replay_loses_nothing_and_stores_nothing_twice(site) -> None:  # type: ignore[no-untyped-def]
    config, engine, _service = site
    path = config.agent_data_dir(AGENT) / "outbox.db"
    ids = fill_outbox(path, AGENT, 20_000)

    def start() -> subprocess.Popen[bytes]:
        log = (config.source.parent / "agent.log").open("ab")
        return subprocess.Popen(
            station_argv(config.source, "agent", "--id", AGENT),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    process = start()
    try:
        wait_for(lambda: len(stored(engine)) >= 2000, timeout=60, what="the replay under way")
        process.send_signal(signal.SIGKILL)
        process.wait(TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
    assert len(stored(engine)) < len(ids), "the replay ended before the crash"
    assert outbox_depth(path) > 0
    restarted = start()
    try:
        wait_for(lambda: len(stored(engine)) >= len(ids), timeout=120, what="the backlog stored")
        assert stored(engine) == hexes(ids)  # nothing lost, nothing twice, in order
        wait_for(lambda: outbox_depth(path) == 0, timeout=60, what="every event acknowledged")
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(TIMEOUT) == 0
    finally:
        if restarted.poll() is None:
            restarted.kill()


def test_the_site_heard_again_resends_what_waits_at_once(make_config, run_agent, make_site) -> None:  # type: ignore[no-untyped-def]
    """After a day away, the agent's resend backoff is up to an hour, and what the broker
    held for sync may be gone (its session expired): the site's signed time, once acks
    are overdue, sends the backlog again at once."""
    config = make_config(OVERRIDES)
    site = make_site(config, AGENT, auto_ack=False)
    ids = fill_outbox(config.agent_data_dir(AGENT) / "outbox.db", AGENT, 100)
    clock, now = FakeClock(), dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    agent = run_agent(config, AGENT, clock=clock, wall=lambda: now)
    sender, handler = agent.agent.loop.sender, agent.agent.loop.site
    wait_for(lambda: {str(e.id) for e in site.events} >= set(ids), what="the backlog sent")

    def beacon(seconds: float, key: SigningKey = site.key) -> int:
        message = MqttMessage(
            topics.TIME, make_beacon(AGENT, now + dt.timedelta(seconds=seconds), key)
        )
        return agent.call(lambda: (handler.handle(message), sender.resends)[1])

    assert beacon(1) == 0  # acks not overdue: nothing again
    clock.advance(RESEND_S + 1)
    assert beacon(2, SigningKey.generate()) == 0  # not the site's: nobody is back
    assert beacon(3) == 1  # the site is back: everything waiting goes again
    wait_for(lambda: site.duplicates >= len(ids), what="the backlog sent again")
    assert beacon(4) == 1  # not overdue any more
