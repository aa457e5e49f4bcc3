"""Which keys an agent accepts, as the site's key store announces them: a revoked
kiosk's commands are refused with a reason, and a rotation keeps every message
accepted through its overlap, then refuses the old key (docs/security.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def _clock(moment: Moment) -> dict[str, Any]:
    return {"wall": moment, "kernel_synced": lambda: True}


@pytest.fixture
def agent(config: StationConfig, moment: Moment) -> Iterator[Agent]:
    agent = Agent(config, AGENT, pin_factory=MockFactory(), connect=False, **_clock(moment))
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
    # The old key is still announced, as ended: an agent's site.pub never updated, which
    # still names it, cannot bring it back.
    assert site.snapshot(old) == 6
    assert site.agent.loop.counters["grants_refused_expired"] == 2
    held = site.agent.store.trust
    assert held is not None and held.site.get(old.key_id) is not None
    assert old.key_id in site.agent.loop.site.trust.anchor  # its site.pub still names it


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


def test_a_compromised_site_key_rotated_without_overlap_needs_the_new_site_pub(
    config: StationConfig, agent: Agent, site: SiteSide, moment: Moment
) -> None:
    old = site.store.signer(T0)
    assert site.snapshot() == 1
    site.store.rotate_site(T0, dt.timedelta(0))  # the old key ends now
    assert old.verify_key.to_text() not in (config.keys_dir / "site.pub").read_text()
    # Until the agent's bundle is deployed again it knows nothing newer than its
    # snapshot (so a thief with the old key still signs for it: docs/security.md).
    assert site.snapshot() == 1  # the new key: unknown to the agent
    assert agent.loop.counters["grants_refused_unknown_key"] == 1
    agent.close()
    # Its bundle deployed again (the new site.pub), the agent restarted: the old key is
    # refused, though the snapshot it holds never named it as ended, and the new taken.
    again = Agent(config, AGENT, pin_factory=MockFactory(), connect=False, **_clock(moment))
    try:
        site.agent = again
        assert site.snapshot(old) == 1
        assert again.loop.counters["grants_refused_unknown_key"] == 1
        assert site.snapshot() == site.version == 4
        assert site.snapshot(old) == 4  # now the held snapshot names it as ended
        assert again.loop.counters["grants_refused_expired"] == 1
    finally:
        again.close()


def test_a_kiosks_key_signs_neither_snapshots_nor_beacons(
    site: SiteSide, config: StationConfig, agent: Agent
) -> None:
    from station.protocol.beacon import make_beacon

    kiosk_key = kiosk_signer(config, KIOSK)
    assert site.snapshot() == 1
    assert site.snapshot(kiosk_key) == 1  # a listed issuer, yet no site key
    assert agent.loop.counters["grants_refused_unknown_key"] == 1
    agent.loop.handle(MqttMessage(topics.TIME, make_beacon(AGENT, T0, kiosk_key)))
    assert agent.loop.counters["beacons_refused_unknown_key"] == 1
    agent.loop.handle(MqttMessage(topics.TIME, make_beacon(AGENT, T0, site.store.signer(T0))))
    assert agent.loop.counters["beacons_refused"] == 1  # the site's own is taken


def test_a_rotated_kiosk_key_is_taken_by_an_agent_a_little_behind(
    site: SiteSide, config: StationConfig, moment: Moment
) -> None:
    assert site.snapshot() == 1
    new = site.store.rotate_kiosk(KIOSK, T0 + dt.timedelta(seconds=5), OVERLAP)  # server ahead
    assert site.snapshot() == 2
    assert site.command(new) == "applied"


def test_a_revoked_kiosk_is_not_trusted_again_by_keys_init(config: StationConfig) -> None:
    store = KeyStore(config.keys_dir)
    assert store.revoke_kiosk(KIOSK) == 1
    assert store.init(config.kiosks, T0) == []  # every deploy runs it: no new key
    assert {t.holder for t in store.trust().issuers} == {"site"}
    store.rotate_kiosk(KIOSK, T0)  # deliberately re-issued
    assert f"kiosk:{KIOSK}" in {t.holder for t in store.trust().issuers}
    assert store.init(config.kiosks, T0) == []


def test_keys_without_their_trust_list_are_refused_not_replaced(config: StationConfig) -> None:
    from station.keystore import KeyStoreError

    store = KeyStore(config.keys_dir)
    before = {p.name: p.read_bytes() for p in config.keys_dir.glob("*.key")}
    store.trust_file.unlink()
    with pytest.raises(KeyStoreError, match="restore the trust list"):
        store.init(config.kiosks, T0)
    assert {p.name: p.read_bytes() for p in config.keys_dir.glob("*.key")} == before


def test_a_negative_overlap_is_refused(config: StationConfig) -> None:
    store = KeyStore(config.keys_dir)
    with pytest.raises(ValueError, match="overlap"):
        store.rotate_site(T0, dt.timedelta(days=-1))
    with pytest.raises(ValueError, match="overlap"):
        store.rotate_kiosk(KIOSK, T0, dt.timedelta(seconds=-1))
