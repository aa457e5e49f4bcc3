"""Which keys an agent accepts, as the site's key store announces them: a revoked
kiosk's commands are refused with a reason, and a rotation keeps every message
accepted through its overlap, then refuses the old key (docs/security.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from door_agent.agent import Agent
from door_agent.inbox import MqttMessage
from station.config import StationConfig, load_config
from station.errors import ConfigError
from station.keystore import KeyStore
from station.protocol import topics
from station.protocol.commands import Author, make_command
from station.protocol.grants import make_snapshot
from station.protocol.keys import SigningKey
from station.protocol.vocabulary import Command
from station.rules import ResourceFacts
from tests.support.keys import kiosk_signer

AGENT = "front-door"
KIOSK = "entrance"
T0 = dt.datetime(2026, 12, 24, 23, 30, tzinfo=dt.UTC)  # any moment: the clock is injected
OVERLAP = dt.timedelta(days=1)
DANA = Author.kiosk(KIOSK, "Dana", None)


class Moment:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def config(config_factory) -> StationConfig:  # type: ignore[no-untyped-def]
    return load_config(config_factory())


@pytest.fixture
def moment() -> Moment:
    return Moment()


@pytest.fixture
def agent(config: StationConfig, moment: Moment) -> Iterator[Agent]:
    agent = Agent(
        config,
        AGENT,
        pin_factory=MockFactory(),
        connect=False,
        wall=moment,
        kernel_synced=lambda: True,
    )
    yield agent
    agent.close()


class SiteSide:
    """What sync publishes for the agent, from the key store, at the test's moment."""

    def __init__(self, config: StationConfig, agent: Agent, moment: Moment) -> None:
        self.config, self.agent, self.moment = config, agent, moment
        self.store = KeyStore(config.keys_dir)
        self.version = 0

    def snapshot(self, key: SigningKey | None = None) -> int:
        """Publish a snapshot signed by `key` (else the store's signer now); the
        version the agent holds after it."""
        self.version += 1
        now = self.moment.now
        payload = make_snapshot(
            self.config.site.id,
            AGENT,
            self.version,
            ResourceFacts(AGENT),
            {},
            self.store.trust_at(now),
            key or self.store.signer(now),
            now,
        )
        self.agent.loop.handle(MqttMessage(topics.GRANTS, payload))
        return self.agent.store.version

    def command(self, key: SigningKey) -> str:
        """Send a lock signed by `key` as kiosk Dana; the counter it moved."""
        before = dict(self.agent.loop.counters)
        _id, payload = make_command(Command.LOCK, AGENT, key, author=DANA, now=self.moment.now)
        self.agent.loop.handle(MqttMessage(topics.COMMANDS, payload))
        moved = [k for k, v in self.agent.loop.counters.items() if v != before.get(k, 0)]
        refused = [k.removeprefix("commands_refused_") for k in moved if "commands_refused" in k]
        return refused[0] if refused else "applied"


@pytest.fixture
def site(config: StationConfig, agent: Agent, moment: Moment) -> SiteSide:
    return SiteSide(config, agent, moment)


def test_a_revoked_kiosks_commands_are_refused_once_the_snapshot_says_so(
    site: SiteSide, config: StationConfig
) -> None:
    kiosk_key = kiosk_signer(config, KIOSK)
    assert site.snapshot() == 1
    assert site.command(kiosk_key) == "applied"
    assert site.store.revoke_kiosk(KIOSK) == 1
    assert not (config.keys_dir / f"kiosk-{KIOSK}.key").exists()
    assert site.snapshot() == 2
    assert site.command(kiosk_key) == "unknown_key"
    # The site's own key still commands (the console, the site server's command line).
    console = Author("Admin", "console")
    _id, payload = make_command(
        Command.UNLOCK_ONCE, AGENT, site.store.signer(site.moment.now), author=console, now=T0
    )
    site.agent.loop.handle(MqttMessage(topics.COMMANDS, payload))
    assert site.agent.loop.counters["commands_refused_unknown_key"] == 1


def test_a_site_key_rotation_keeps_the_agent_working_then_refuses_the_old_key(
    site: SiteSide, moment: Moment
) -> None:
    old = site.store.signer(T0)
    assert site.snapshot() == 1
    new = site.store.rotate_site(T0, OVERLAP)
    # Through the overlap the old key still signs, announcing the new one.
    moment.now = T0 + dt.timedelta(hours=1)
    assert site.store.signer(moment.now).key_id == old.key_id
    assert site.snapshot() == 2
    assert site.snapshot(new) == 3  # either is accepted
    assert site.snapshot(old) == 4
    # After it the site signs with the new key; the old one is refused as expired.
    moment.now = T0 + OVERLAP + dt.timedelta(seconds=1)
    assert site.store.signer(moment.now).key_id == new.key_id
    assert site.snapshot(old) == 4
    assert site.agent.loop.counters["grants_refused_expired"] == 1
    assert site.snapshot() == 6
    # The old key is no longer even announced: whatever it signs is unknown now.
    assert site.snapshot(old) == 6
    assert site.agent.loop.counters["grants_refused_unknown_key"] == 1
    assert old.key_id not in site.agent.store.trust.site  # type: ignore[union-attr]


def test_a_kiosk_key_rotation_accepts_both_through_the_overlap_then_only_the_new(
    site: SiteSide, config: StationConfig, moment: Moment
) -> None:
    old = kiosk_signer(config, KIOSK)
    assert site.snapshot() == 1
    new = site.store.rotate_kiosk(KIOSK, T0, OVERLAP)
    assert kiosk_signer(config, KIOSK).key_id == new.key_id  # the kiosk's file is replaced
    assert site.snapshot() == 2
    moment.now = T0 + dt.timedelta(hours=1)
    assert site.command(old) == "applied"
    assert site.command(new) == "applied"
    moment.now = T0 + OVERLAP
    assert site.command(old) == "expired"  # the snapshot in force still lists it, ended
    assert site.command(new) == "applied"
    assert site.snapshot() == 3
    assert site.command(old) == "unknown_key"  # and then no longer listed at all


def test_an_agent_without_its_trust_anchor_does_not_start(
    config: StationConfig, tmp_path: Path
) -> None:
    (config.keys_dir / "site.pub").unlink()
    with pytest.raises(ConfigError, match=r"site\.pub: cannot read the site's public keys"):
        Agent(config, AGENT, pin_factory=MockFactory(), connect=False)


def test_before_its_first_snapshot_an_agent_takes_the_site_key_only(
    site: SiteSide, config: StationConfig
) -> None:
    assert site.agent.store.version == 0
    assert site.command(kiosk_signer(config, KIOSK)) == "unknown_key"
    console = Author("Admin", "console")
    _id, payload = make_command(Command.LOCK, AGENT, site.store.signer(T0), author=console, now=T0)
    site.agent.loop.handle(MqttMessage(topics.COMMANDS, payload))
    refused = {k: v for k, v in site.agent.loop.counters.items() if "commands_refused" in k}
    assert refused == {"commands_refused_unknown_key": 1}  # the kiosk's only
