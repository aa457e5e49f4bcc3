"""What a stolen device's bundle can sign: an agent's, nothing any agent accepts; a
kiosk's, commands as that kiosk only (docs/security.md, "What a stolen device holds")."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gpiozero.pins.mock import MockFactory

from door_agent.agent import Agent
from door_agent.inbox import MqttMessage
from station.config import StationConfig, load_config
from station.deploy.device import Bundle, DeviceKind, deploy_device, read_env
from station.protocol import topics
from station.protocol.commands import Author, make_command
from station.protocol.grants import make_snapshot
from station.protocol.keys import SigningKey, sign_envelope
from station.protocol.signing import canonical
from station.protocol.vocabulary import Command
from station.rules import ResourceFacts
from tests.station.deploy.running import NOW
from tests.support.keys import site_signer, site_snapshot, site_trust

AGENT = "front-door"


def _installed(site_config: StationConfig, bundle: Bundle) -> StationConfig:
    """The device's configuration as its unit starts it: the bundle's env file, the
    bundle's keys (as if copied to /etc/station)."""
    return load_config(site_config.source, environ=read_env(bundle.env_file))


def _bundle_values(bundle: Bundle) -> list[bytes]:
    """Every secret-looking thing in the bundle: each env value and each file."""
    values = [v.encode() for v in read_env(bundle.env_file).values() if v]
    values += [p.read_bytes() for p in bundle.directory.rglob("*") if p.is_file()]
    return values


def _key_candidates(value: bytes) -> list[bytes]:
    """Every 32-byte string a value could hold as an Ed25519 seed: itself, each line or
    word of it, raw or decoded from hex, base64 or base64url."""
    pieces = {value, *value.split(), *value.splitlines()}
    found: list[bytes] = []
    for piece in pieces:
        decoded = [piece]
        with contextlib.suppress(ValueError):
            decoded.append(bytes.fromhex(piece.decode("ascii", "replace")))
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            with contextlib.suppress(ValueError, binascii.Error):
                decoded.append(decode(piece + b"=" * (-len(piece) % 4)))
        found += [d for d in decoded if len(d) == 32]
    return found


def _private_keys_in(values: list[bytes]) -> list[str]:
    """The public keys (as text) of every private key the values could hold."""
    publics: list[str] = []
    for value in values:
        with contextlib.suppress(ValueError, TypeError):
            loaded = serialization.load_pem_private_key(value, password=None)
            if isinstance(loaded, Ed25519PrivateKey):
                publics.append(SigningKey(loaded).verify_key.to_text())
        for seed in _key_candidates(value):
            private = Ed25519PrivateKey.from_private_bytes(seed)
            publics.append(SigningKey(private).verify_key.to_text())
    return publics


def _hmac_envelope(body: dict[str, object], key: bytes) -> bytes:
    """The envelope the protocol used before Ed25519, signed with `key`."""
    payload = canonical(body)
    sig = hmac.new(key, payload, hashlib.sha256).hexdigest()
    return b'{"alg":"HS256","body":%s,"sig":"%s"}' % (payload, sig.encode())


def _forgeries(site_config: StationConfig, values: list[bytes]) -> list[tuple[str, bytes]]:
    """Every snapshot and command the holder of `values` could sign for the agent."""
    site_key_id = site_signer(site_config).key_id
    trust = site_trust(site_config)
    body = json.loads(
        make_snapshot(
            site_config.site.id, AGENT, 50, ResourceFacts(AGENT), {}, trust, SigningKey.generate()
        )
    )["body"]
    console = Author("Thief", "console")
    forged: list[tuple[str, bytes]] = []
    for value in values:
        forged.append(("grants", _hmac_envelope(body, value)))
        seeded = SigningKey.generate()  # no value of the bundle is a private key
        stolen = json.loads(sign_envelope(body, seeded))
        stolen["key"] = site_key_id  # claiming the site's key id
        forged.append(("grants", json.dumps(stolen).encode()))
        _id, command = make_command(Command.UNLOCK_ONCE, AGENT, seeded, author=console)
        forged.append(("commands", command))
        cbody = json.loads(command)["body"]
        forged.append(("commands", _hmac_envelope(cbody, value)))
    return forged


def test_nothing_in_an_agents_bundle_signs_what_an_agent_accepts(
    site_config: StationConfig, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    bundle = deploy_device(
        site_config, out, DeviceKind.AGENT, AGENT, NOW, installed_in=out / "devices" / AGENT
    )
    values = _bundle_values(bundle)
    assert not any(b"PRIVATE KEY" in value for value in values)
    trusted = {
        t.key.to_text() for t in [*site_trust(site_config).site, *site_trust(site_config).issuers]
    }
    derived = _private_keys_in(values)
    assert derived  # the search found seeds to try (the badge key, the password...)
    assert not trusted & set(derived)
    installed = _installed(site_config, bundle)
    assert installed.keys_dir == bundle.directory / "keys"
    agent = Agent(installed, AGENT, pin_factory=MockFactory(), connect=False)
    try:
        # The agent itself trusts its bundle's site.pub: a real snapshot is accepted...
        agent.loop.handle(MqttMessage(topics.GRANTS, site_snapshot(site_config, AGENT)))
        assert agent.store.version == 1
        # ...and nothing its bundle could sign is, neither by itself nor by another agent.
        for channel, payload in _forgeries(site_config, values):
            agent.loop.handle(MqttMessage(channel, payload))
        assert agent.store.version == 1
        assert not agent.io.relay.is_on
        refused = {k: v for k, v in agent.loop.counters.items() if "refused" in k}
        assert refused["grants_refused_malformed"] == len(values)  # HMAC: not an envelope
        assert refused["grants_refused_bad_signature"] == len(values)
        assert refused["commands_refused_unknown_key"] == len(values)
        assert refused["commands_refused_malformed"] == len(values)
    finally:
        agent.close()


def test_a_kiosks_bundle_signs_as_that_kiosk_only(
    site_config: StationConfig, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    bundle = deploy_device(
        site_config, out, DeviceKind.KIOSK, "entrance", NOW, installed_in=out / "devices" / "x"
    )
    [key_file] = (bundle.directory / "keys").glob("kiosk-*.key")
    kiosk_key = SigningKey.load(key_file)
    assert kiosk_key.key_id != site_signer(site_config).key_id
    agent = Agent(site_config, AGENT, pin_factory=MockFactory(), connect=False)
    try:
        agent.loop.handle(MqttMessage(topics.GRANTS, site_snapshot(site_config, AGENT)))
        for author in (
            Author("Thief", "console"),
            Author("Thief", "cli:server"),
            Author.kiosk("hall", "Thief", None),
        ):
            _id, command = make_command(Command.UNLOCK_ONCE, AGENT, kiosk_key, author=author)
            agent.loop.handle(MqttMessage(topics.COMMANDS, command))
        assert agent.loop.counters["commands_refused_wrong_issuer"] == 3
        assert not agent.io.relay.is_on
        # Its own commands, as itself, it may send: that is what a kiosk is for.
        own = Author.kiosk("entrance", "Dana", None)
        command_id, command = make_command(Command.LOCK, AGENT, kiosk_key, author=own)
        agent.loop.handle(MqttMessage(topics.COMMANDS, command))
        events = [json.loads(payload) for _seq, _id, payload in agent.outbox.after(0, 1000)]
        applied = [e for e in events if e["type"] == "command_applied"]
        assert [e["data"]["command_id"] for e in applied] == [command_id]
        assert sum(v for k, v in agent.loop.counters.items() if "commands_refused" in k) == 3
    finally:
        agent.close()
