"""`station badge issue MEMBER --reader ID` and `station badge format --reader ID` on a
virtual DESFire card in vpcd's reader, through the real pcscd: the issued card is read
by an agent's PC/SC reader as the member's secure badge and granted where a secure badge
is required; all or nothing; a card formatted is blank again and can be issued anew."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory
from sqlalchemy import select
from sqlalchemy.orm import Session

from door_agent.agent import Agent
from door_agent.inbox import MqttMessage
from hardware.readers import open_reader
from hardware.readers.base import BadgePresented, BadRead, ReaderState
from station import access, desfire_keys, registry
from station.cli.main import main
from station.config import StationConfig, load_config
from station.config.reader import ReaderConfig
from station.credential import Credential, CredentialKind, ReadFailure
from station.db import Badge, BadgeStatus, Resource, make_engine
from station.errors import Conflict
from station.protocol import topics
from station.protocol.events import AgentEvent
from station.protocol.vocabulary import EventType
from station.rules import SECURE, UID, Presented, Reason, decide
from sync.compiler import GrantCompiler
from tests.support.agents import RunningAgent
from tests.support.config import write_config
from tests.support.desfire_card import DesfireCard
from tests.support.desfire_rack import UID as CARD_UID
from tests.support.desfire_rack import CardRack
from tests.support.pcsc import Pcscd, wait_card
from tests.support.readers import Events
from tests.support.wait import wait_for

pytestmark = pytest.mark.pcsc

# A Tuesday noon far ahead: the front door and the member's plan are open then.
AT = dt.datetime(2099, 6, 2, 12, 0, tzinfo=dt.UTC)
Run = Callable[..., tuple[int, object, str]]


@pytest.fixture
def config(tmp_path: Path, pcscd: Pcscd) -> StationConfig:
    reader = f"pcsc:{pcscd.readers[0]}"  # the desk's, where cards are issued
    door = f"pcsc:{pcscd.readers[1]}"
    secure = {"path": door, "desfire_keys": desfire_keys.READ_FILE, "debounce_s": 0}
    path = write_config(
        tmp_path,
        overrides={
            "kiosks": {"entrance": {"reader": {"path": reader}}},
            "agents": {"front-door": {"reader": secure}},
        },
    )
    loaded = load_config(path)
    # As `station deploy`: the site's key file, and a device's read key file.
    site, _ = desfire_keys.ensure_site_keys(loaded.keys_dir, loaded.site.id)
    desfire_keys.write_key_file(loaded.keys_dir / desfire_keys.READ_FILE, site.read_file())
    return loaded


@pytest.fixture
def station(
    config: StationConfig, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    monkeypatch.setenv("STATION_DATABASE_URL", config.database.url)

    def run(*args: str) -> tuple[int, object, str]:
        capsys.readouterr()
        status = main(["--config", str(config.source), "--json", *args])
        out, err = capsys.readouterr()
        return status, json.loads(out) if out.strip() else None, err

    assert run("db", "upgrade")[0] == 0
    for first, email in (("Camille", "camille@example.fr"), ("Léa", "lea@example.fr")):
        status, _, err = run(
            "member", "add", first, "Martin", "--email", email, "--plan", "member",
            "--until", "2099-12-31",
        )  # fmt: skip
        assert status == 0, err
    return run


@pytest.fixture
def rack(pcscd: Pcscd) -> Iterator[CardRack]:
    rack = CardRack(pcscd)
    yield rack
    rack.close()


@pytest.fixture
def session(config: StationConfig) -> Iterator[Session]:
    engine = make_engine(config.database.url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _read(config: StationConfig, pcscd: Pcscd, card: DesfireCard) -> BadgePresented | BadRead:
    """What an agent's PC/SC reader with the deployed read key file makes of the card."""
    events = Events()
    reader_config = ReaderConfig(
        path=f"pcsc:{pcscd.readers[0]}", desfire_keys=desfire_keys.READ_FILE, debounce_s=0
    )
    assert wait_card(pcscd.readers[0], present=False)  # the card taken off after issuing
    with open_reader("front-door", reader_config, events, keys_dir=config.keys_dir):
        assert events.expect(ReaderState).available
        card.insert()
        event = events.next()
        card.remove()
        assert wait_card(pcscd.readers[0], present=False)
    assert isinstance(event, BadgePresented | BadRead)
    return event


def _require_secure(session: Session, code: str) -> None:
    resource = session.scalars(select(Resource).where(Resource.code == code)).one()
    resource.require_secure = True
    session.commit()


def _decide(
    session: Session, config: StationConfig, credential: Credential | None, presented: Presented
) -> Reason:
    facts = None
    if credential is not None:
        found = access.lookup(session, credential.keyed_hash(config.badge_key))
        facts = None if found is None else found[0]
    resource = access.resource_facts(session, config, "front-door")
    return decide(facts, resource, AT, presented=presented).reason


def test_an_issued_card_is_granted_where_a_secure_badge_is_required(
    station: Run, config: StationConfig, pcscd: Pcscd, rack: CardRack, session: Session
) -> None:
    card = rack.blank()
    card.insert()
    status, issued, err = station("badge", "issue", "camille@example.fr", "--reader", "entrance")
    assert status == 0, err
    assert isinstance(issued, dict)
    assert issued["kind"] == "secure" and issued["member"] == "Camille Martin"
    assert issued["label"] == "DESFire"  # no UID: the label travels to central
    card.remove()
    # The card's UID, enrolled too as a plain badge of hers (a UID-only reader elsewhere).
    assert station("badge", "enroll", "camille@example.fr", CARD_UID.hex())[0] == 0
    _require_secure(session, "front-door")

    read = _read(config, pcscd, card)
    assert isinstance(read, BadgePresented)
    assert read.credential.kind is CredentialKind.SECURE
    badge = registry.badge_by_hash(session, read.credential.keyed_hash(config.badge_key))
    assert badge is not None and str(badge.id) == issued["id"]
    assert _decide(session, config, read.credential, SECURE) is Reason.GRANTED
    # Her card's UID alone is refused there, and so is a clone of the card.
    assert _decide(session, config, Credential.uid(CARD_UID), UID) is Reason.SECURE_REQUIRED
    clone = _read(config, pcscd, rack.add(card.clone()))
    assert isinstance(clone, BadRead) and clone.reason is ReadFailure.AUTH_FAILED
    failed = Presented.failed(clone.reason)
    assert _decide(session, config, clone.uid, failed) is Reason.AUTH_FAILED


def _agent_events(agent: Agent) -> list[AgentEvent]:
    return [AgentEvent.decode(payload) for _, _, payload in agent.outbox.after(0, 100)]


def test_an_issued_card_opens_a_door_agent_that_requires_secure_badges(
    station: Run, config: StationConfig, pcscd: Pcscd, rack: CardRack, session: Session
) -> None:
    card = rack.blank()
    card.insert()
    status, issued, err = station("badge", "issue", "camille@example.fr", "--reader", "entrance")
    assert status == 0, err
    card.remove()
    assert wait_card(pcscd.readers[0], present=False)
    _require_secure(session, "front-door")
    engine = make_engine(config.database.url)
    try:
        snapshots = GrantCompiler(config, wall=lambda: AT).refresh(engine)
    finally:
        engine.dispose()
    grants = next(s for s in snapshots if s.agent_id == "front-door")
    factory = MockFactory()
    agent = Agent(
        config, "front-door", pin_factory=factory, connect=False, wall=lambda: AT,
        kernel_synced=lambda: True,
    )  # fmt: skip
    agent.loop.handle(MqttMessage(topics.GRANTS, grants.whole))
    running = RunningAgent(agent, factory)
    try:
        wait_for(lambda: agent.reader.available, what="the agent's PC/SC reader")
        card.port = pcscd.ports[1]  # carried from the desk to the door
        card.insert()
        granted = wait_for(
            lambda: [e for e in _agent_events(agent) if e.type is EventType.GRANTED],
            what="the door agent's grant",
        )
        assert running.relay  # the strike released
        assert granted[0].reason == Reason.GRANTED.value
        assert isinstance(issued, dict) and granted[0].member == issued["member_id"]
        card.remove()
        assert wait_card(pcscd.readers[1], present=False)
        rack.add(card.clone()).insert()  # the same UID, no application
        denied = wait_for(
            lambda: [e for e in _agent_events(agent) if e.type is EventType.DENIED],
            what="the door agent's denial of the clone",
        )
        assert denied[0].reason == Reason.AUTH_FAILED.value
    finally:
        running.stop()
        agent.close()


def test_format_revokes_the_badge_and_the_card_is_issued_anew(
    station: Run, config: StationConfig, pcscd: Pcscd, rack: CardRack, session: Session
) -> None:
    card = rack.blank()
    card.insert()
    status, first, err = station("badge", "issue", "camille@example.fr", "--reader", "entrance")
    assert status == 0, err
    status, formatted, err = station("badge", "format", "--reader", "entrance")
    assert status == 0, err
    assert isinstance(first, dict) and formatted == {
        "formatted": True,
        "revoked_badge": first["id"],
    }
    assert card.applications == {}  # blank again
    status, again, err = station("badge", "issue", "lea@example.fr", "--reader", "entrance")
    assert status == 0, err
    card.remove()
    assert isinstance(again, dict) and again["member"] == "Léa Martin"
    read = _read(config, pcscd, card)
    assert isinstance(read, BadgePresented)
    badge = registry.badge_by_hash(session, read.credential.keyed_hash(config.badge_key))
    assert badge is not None and str(badge.id) == again["id"]
    old = session.get(Badge, uuid.UUID(first["id"]))
    assert old is not None and old.status is BadgeStatus.REVOKED


def test_an_unknown_member_is_refused_before_the_card_is_touched(
    station: Run, rack: CardRack
) -> None:
    card = rack.blank()
    card.insert()
    status, _, err = station("badge", "issue", "nobody@example.fr", "--reader", "entrance")
    assert status == 1 and "nobody@example.fr" in err
    assert card.apdus == [] and card.applications == {}


def test_a_failed_enrolment_formats_the_card_back_to_blank(
    station: Run,
    config: StationConfig,
    rack: CardRack,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    card = rack.blank()
    card.insert()

    def refuse(*args: object, **kwargs: object) -> Badge:
        raise Conflict("the database refused the badge")

    monkeypatch.setattr(registry, "enroll_badge", refuse)
    status, _, err = station("badge", "issue", "camille@example.fr", "--reader", "entrance")
    assert status == 1
    assert "not enrolled (the database refused the badge); it was formatted back to blank" in err
    assert card.applications == {}
    assert session.scalars(select(Badge)).all() == []


def test_a_card_that_is_not_blank_is_not_issued(
    station: Run, rack: CardRack, session: Session
) -> None:
    rack.issued().insert()  # issued with other keys than this site's
    status, _, err = station("badge", "issue", "camille@example.fr", "--reader", "entrance")
    assert status == 1
    assert "the card was not issued" in err and "station badge format --reader entrance" in err
    assert session.scalars(select(Badge)).all() == []


def test_without_a_card_the_command_gives_up_after_its_timeout(station: Run) -> None:
    status, _, err = station(
        "badge", "issue", "camille@example.fr", "--reader", "entrance", "--timeout", "0.3"
    )
    assert status == 1 and "no card on Virtual PCD 00 00 within 0.3 s" in err


def test_a_reader_that_is_not_pcsc_is_refused(station: Run) -> None:
    status, _, err = station("badge", "format", "--reader", "laser-cutter")
    assert status == 1 and "needs a PC/SC reader" in err
    status, _, err = station("badge", "format", "--reader", "nowhere")
    assert status == 1 and "no reader 'nowhere'" in err
