"""The console's command requests as the site's sync carries them out (sync.commands),
on an SQLite central, with a publisher that records instead of a broker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from station.command_requests import request_command
from station.config import StationConfig, load_config
from station.db import make_engine
from station.db.command_requests import CommandRequest, RequestState
from station.protocol import topics
from station.protocol.commands import CommandResult, check_command
from station.protocol.vocabulary import APPLIED, Command, Refusal
from station.seed import seed_site
from sync.commands import EXPIRED_HERE, NO_AGENT, NO_ANSWER, NOT_SENT, CommandRelay
from tests.support.keys import issuers, site_signer
from tests.support.sqlite_copy import copy_sqlite

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
AUTHOR = "manager@example.org"


@dataclass
class Sent:
    ok: bool = True
    messages: list[tuple[str, bytes]] = field(default_factory=list)

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> Any:
        assert qos == 1 and not retain
        self.messages.append((topic, payload))
        return _Info(0 if self.ok else 4)


@dataclass
class _Info:
    rc: int


@dataclass
class Wall:
    now: dt.datetime = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def config(config_factory: Callable[..., Path]) -> StationConfig:
    return load_config(config_factory())


@pytest.fixture
def central(site_db: str, config: StationConfig) -> Iterator[Engine]:
    site = Path(site_db.removeprefix("sqlite:///"))
    # central's schema is the site's: a copy of the empty site
    engine = make_engine(copy_sqlite(site, site.with_name("central.db")))
    with Session(engine) as db, db.begin():
        seed_site(db, config)  # the site's resources, as central knows them
        other = config.model_copy(update={"site": config.site.model_copy(update={"id": "other"})})
        seed_site(db, other)
    yield engine
    engine.dispose()


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def relay(config: StationConfig, central: Engine, wall: Wall) -> CommandRelay:
    return CommandRelay(config, central, lambda _now: site_signer(config), wall)


def ask(central: Engine, site: str, resource: str, command: Command, **kw: Any) -> Any:
    with Session(central) as db, db.begin():
        return request_command(
            db, site_id=site, resource=resource, command=command, author=AUTHOR, now=NOW, **kw
        ).id


def request(central: Engine, request_id: Any) -> CommandRequest:
    with Session(central) as db:
        row = db.get(CommandRequest, request_id)
        assert row is not None
        return row


def test_a_request_is_signed_as_the_console_sent_and_its_result_written_back(
    config: StationConfig, central: Engine, relay: CommandRelay, wall: Wall
) -> None:
    site = config.site.id
    asked = ask(central, site, "front-door", Command.UNLOCK_ONCE)
    wall.now = NOW + dt.timedelta(seconds=2)
    bus = Sent()
    assert relay.relay(bus) == 1
    [(topic, payload)] = bus.messages
    assert topic == topics.agent(site, "front-door", topics.COMMANDS)
    seen: set[str] = set()
    body = check_command(payload, "front-door", issuers(config), wall.now, seen.__contains__)
    assert body["command"] == "unlock_once"
    assert body["issued_by"] == {"member": None, "name": AUTHOR, "device": "console"}
    assert dt.datetime.fromisoformat(body["expires_at"]) <= NOW + dt.timedelta(seconds=60)
    sent = request(central, asked)
    assert (sent.state, sent.agent_id, sent.command_id) == (
        RequestState.SENT,
        "front-door",
        body["id"],
    )
    assert relay.relay(bus) == 0  # sent once only

    result = CommandResult("front-door", APPLIED, Command.UNLOCK_ONCE, body["id"], at=wall.now)
    results = topics.agent(site, "front-door", topics.COMMAND_RESULTS)
    assert relay.take(results, result.encode())
    done = request(central, asked)
    assert (done.state, done.result, done.finished_at) == (RequestState.DONE, "applied", wall.now)


def test_a_refusal_of_the_agent_fails_the_request_with_its_reason(
    config: StationConfig, central: Engine, relay: CommandRelay
) -> None:
    site = config.site.id
    asked = ask(central, site, "front-door", Command.HOLD_OPEN, until="2026-11-26T18:00")
    bus = Sent()
    relay.relay(bus)
    command_id = request(central, asked).command_id
    refused = CommandResult(
        "front-door", Refusal.LOCKDOWN, Command.HOLD_OPEN, command_id, "the door is in lockdown"
    )
    relay.take(topics.agent(site, "front-door", topics.COMMAND_RESULTS), refused.encode())
    failed = request(central, asked)
    assert (failed.state, failed.result) == (
        RequestState.FAILED,
        "lockdown: the door is in lockdown",
    )
    # A message on another topic is no result of this site; a kiosk's command's result
    # is none of the console's requests, and a result is believed from its agent only.
    assert not relay.take("elsewhere/x", b"{}")
    kiosk = CommandResult("front-door", APPLIED, Command.LOCK, "a-kiosk-command")
    results = topics.agent(site, "front-door", topics.COMMAND_RESULTS)
    assert relay.take(results, kiosk.encode()) and relay.unreported == []
    asked = ask(central, site, "front-door", Command.UNLOCK_ONCE)
    relay.relay(bus)
    sent = request(central, asked)
    posing = CommandResult("laser-cutter", APPLIED, Command.UNLOCK_ONCE, sent.command_id)
    relay.take(topics.agent(site, "laser-cutter", topics.COMMAND_RESULTS), posing.encode())
    assert request(central, asked).state is RequestState.SENT


def test_a_request_past_its_expiry_by_the_site_clock_is_never_sent(
    config: StationConfig, central: Engine, relay: CommandRelay, wall: Wall
) -> None:
    asked = ask(central, config.site.id, "front-door", Command.UNLOCK_ONCE)
    wall.now = NOW + dt.timedelta(seconds=61)  # the site was offline for a minute
    bus = Sent()
    assert relay.relay(bus) == 0
    assert bus.messages == []
    expired = request(central, asked)
    assert (expired.state, expired.result) == (RequestState.EXPIRED, EXPIRED_HERE)


def test_another_sites_request_is_left_alone(
    config: StationConfig, central: Engine, relay: CommandRelay
) -> None:
    asked = ask(central, "other", "front-door", Command.UNLOCK_ONCE)
    bus = Sent()
    assert relay.relay(bus) == 0
    assert bus.messages == []
    assert request(central, asked).state is RequestState.PENDING


def test_no_agent_no_broker_and_no_answer(
    config: StationConfig, central: Engine, relay: CommandRelay, wall: Wall
) -> None:
    site = config.site.id
    relay.agents.pop("laser-cutter")  # central knows a machine this site runs no agent for
    no_agent = ask(central, site, "laser-cutter", Command.BLOCK)
    relay.relay(Sent())
    assert (request(central, no_agent).state, request(central, no_agent).result) == (
        RequestState.FAILED,
        NO_AGENT,
    )

    waiting = ask(central, site, "front-door", Command.LOCKDOWN)
    relay.relay(None)  # the broker is down: left pending, it may come back in time
    assert request(central, waiting).state is RequestState.PENDING
    relay.relay(Sent(ok=False))
    assert (request(central, waiting).state, request(central, waiting).result) == (
        RequestState.FAILED,
        NOT_SENT,
    )

    unanswered = ask(central, site, "printer-3d", Command.END_SESSION)
    relay.relay(Sent())
    wall.now = NOW + dt.timedelta(seconds=75)
    relay.relay(Sent())
    assert (request(central, unanswered).state, request(central, unanswered).result) == (
        RequestState.FAILED,
        NO_ANSWER,
    )


def test_a_notification_naming_a_site_is_a_command_wake_up_not_a_registry_change() -> None:
    from sync.listen import CentralChanged, CommandsRequested, _wake_up

    assert _wake_up("commands:gare") == CommandsRequested("gare")
    assert _wake_up("42") == CentralChanged(42)
    assert _wake_up("") == CentralChanged(0)


@pytest.mark.mqtt
@pytest.mark.timeout(60)
def test_an_sqlite_central_is_looked_at_every_second(
    config_factory: Callable[..., Path], central: Engine, site_engine: Engine
) -> None:
    """No NOTIFY from SQLite (the demo's central): the running service finds the
    request within about a second and the agent's topic gets the signed command."""
    import threading
    import uuid

    from sync.service import SyncService
    from tests.support.wait import wait_for
    from tests.sync.support import Probe

    config = load_config(config_factory({"site": {"id": f"t-{uuid.uuid4().hex[:12]}"}}))
    with Session(central) as db, db.begin():
        seed_site(db, config)
    with Session(site_engine) as db, db.begin():
        seed_site(db, config)
    agent = Probe(
        config.mqtt.host,
        config.mqtt.port,
        topics.agent(config.site.id, "front-door", topics.COMMANDS),
    )
    service = SyncService(config, site_engine=site_engine, central_engine=central)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    try:
        with service:
            thread.start()
            wait_for(lambda: service.bus is not None and service.bus.subscribed)
            with Session(central) as db, db.begin():
                request_command(
                    db,
                    site_id=config.site.id,
                    resource="front-door",
                    command=Command.UNLOCK_ONCE,
                    author=AUTHOR,
                    now=dt.datetime.now(dt.UTC),
                )
            _topic, payload, _retained = agent.wait_for(lambda t, p: True, timeout=5)
            assert b'"unlock_once"' in payload
            stop.set()
            service.wake()
            thread.join(10)
    finally:
        agent.close()
