"""`station deploy agent|kiosk ID`: a device's bundle holds its own credentials only,
and its env file connects to the generated broker as that device and nobody else."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from station.config import StationConfig, load_config
from station.deploy.accounts import SYNC, accounts, kiosk_user
from station.deploy.broker import deploy_broker
from station.deploy.device import Bundle, DeviceKind, deploy_device, read_env
from station.errors import ConfigError
from station.protocol import topics
from station.protocol.client import make_client
from tests.station.deploy.broker_site import QUIET, Site
from tests.station.deploy.running import NOW, generated_broker
from tests.support.net import free_port
from tests.support.wait import TIMEOUT


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _bundle_bytes(bundle: Bundle) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(bundle.directory.rglob("*")) if p.is_file())


def _secret(out: Path, name: str) -> str:
    return (out / "secrets" / name).read_text().strip()


def test_an_agents_bundle_holds_its_own_password_and_no_other(
    site_config: StationConfig, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    # No broker deployed yet: the bundle deploys it, then takes its own password.
    bundle = deploy_device(site_config, out, DeviceKind.AGENT, "front-door", NOW)
    assert bundle.directory == out / "devices" / "front-door"
    assert bundle.env_file.name == "agent-front-door.env"
    assert _mode(bundle.directory) == 0o700
    assert _mode(bundle.env_file) == 0o600
    assert _mode(bundle.directory / "ca.crt") == 0o644
    assert (bundle.directory / "ca.crt").read_bytes() == (out / "ca.crt").read_bytes()
    assert sorted(p.name for p in bundle.directory.iterdir()) == [
        "agent-front-door.env",
        "ca.crt",
        "keys",
    ]
    assert sorted(p.name for p in (bundle.directory / "keys").iterdir()) == [
        "desfire-read.json",
        "site.pub",
    ]
    assert _mode(bundle.directory / "keys" / "site.pub") == 0o644
    assert _mode(bundle.directory / "keys" / "desfire-read.json") == 0o600
    env = read_env(bundle.env_file)
    assert env["STATION_MQTT_USERNAME"] == "front-door"
    assert env["STATION_MQTT_PASSWORD"] == _secret(out, "front-door.password")
    assert env["STATION_MQTT_TLS"] == "true"
    assert env["STATION_MQTT_CA_FILE"] == "/etc/station/ca.crt"
    assert env["STATION_BADGE_KEY"] == site_config.site.badge_key
    assert env["STATION_KEYS_DIR"] == "/etc/station/keys"
    assert "STATION_SITE_SECRET" not in env
    held = _bundle_bytes(bundle)
    others = [a.user for a in accounts(site_config) if a.user != "front-door"]
    assert {SYNC, "laser-cutter", kiosk_user("entrance")} <= set(others)
    for user in others:
        assert _secret(out, f"{user}.password").encode() not in held, user
    for key in ("ca.key", "server.key"):
        assert (out / "secrets" / key).read_bytes() not in held, key
        assert b"PRIVATE KEY" not in held


def test_a_bundle_deployed_again_changes_nothing(
    site_config: StationConfig, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    deploy_broker(site_config, out, NOW, port=18883)
    first = deploy_device(site_config, out, DeviceKind.KIOSK, "entrance", NOW)
    assert first.account == kiosk_user("entrance")
    assert first.env_file == out / "devices" / "kiosk-entrance" / "kiosk-entrance.env"
    assert set(first.changed) == {
        "kiosk-entrance.env",
        "ca.crt",
        "keys/kiosk-entrance.key",
        "keys/desfire-read.json",
    }
    kiosk_key = first.directory / "keys" / "kiosk-entrance.key"
    assert _mode(kiosk_key) == 0o600
    assert kiosk_key.read_bytes() == (site_config.keys_dir / "kiosk-entrance.key").read_bytes()
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    again = deploy_device(site_config, out, DeviceKind.KIOSK, "entrance", NOW)
    assert again.changed == ()
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
    env = read_env(again.env_file)
    # The port the broker was deployed with, not the configuration's.
    assert env["STATION_MQTT_PORT"] == "18883"
    assert env["STATION_MQTT_PASSWORD"] == _secret(out, "kiosk-entrance.password")


def test_an_unknown_device_is_refused(site_config: StationConfig, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"agents\.nowhere: no such agent"):
        deploy_device(site_config, tmp_path / "out", DeviceKind.AGENT, "nowhere", NOW)
    with pytest.raises(ConfigError, match=r"kiosks\.front-door: no such kiosk"):
        deploy_device(site_config, tmp_path / "out", DeviceKind.KIOSK, "front-door", NOW)
    assert not (tmp_path / "out").exists()


def _connects(config: StationConfig, client_id: str) -> paho.Client | None:
    """A client made by the processes' own `make_client`, connected, or None if refused."""
    client = make_client(config.mqtt, client_id, reconnect=False)
    done, ok = threading.Event(), threading.Event()

    def on_connect(_c: object, _u: object, _f: object, reason: object, _p: object) -> None:
        if not getattr(reason, "is_failure", True):
            ok.set()
        done.set()

    client.on_connect = on_connect
    client.on_disconnect = lambda *_args: done.set()
    try:
        client.connect(config.mqtt.host, config.mqtt.port)
    except OSError:
        return None
    client.loop_start()
    done.wait(TIMEOUT)
    if ok.is_set():
        return client
    client.loop_stop()
    return None


def test_the_env_file_connects_as_that_agent_and_nobody_else(
    site_config: StationConfig, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = deploy_broker(site_config, out, NOW, port=free_port())
    installed = out / "devices" / "front-door"  # as if copied there on the device
    bundle = deploy_device(
        site_config, out, DeviceKind.AGENT, "front-door", NOW, installed_in=installed
    )
    env = read_env(bundle.env_file)
    device = load_config(site_config.source, environ=env)
    assert (device.mqtt.username, device.mqtt.tls) == ("front-door", True)
    assert device.mqtt.port == result.port
    with generated_broker(result, tmp_path / "broker") as broker:
        site = Site(broker, out, site_config)
        try:
            sync = site.account(SYNC)
            sync.publish(topics.agent(site.site, "front-door", topics.GRANTS), b"own", retain=True)
            sync.publish(
                topics.agent(site.site, "laser-cutter", topics.GRANTS), b"laser's", retain=True
            )
            client = _connects(device, "front-door")
            assert client is not None, "the bundle's env did not connect"
            received: list[bytes] = []
            arrived = threading.Event()

            def on_message(_c: object, _u: object, message: paho.MQTTMessage) -> None:
                received.append(bytes(message.payload))
                arrived.set()

            client.on_message = on_message
            client.subscribe(topics.all_agents(site.site, topics.GRANTS), qos=1)
            assert arrived.wait(TIMEOUT)
            arrived.clear()
            arrived.wait(QUIET)
            assert received == [b"own"]  # front-door's view of the site: itself only
            client.disconnect()
            client.loop_stop()
            # Its password is no other account's.
            for user in (a.user for a in accounts(site_config) if a.user != "front-door"):
                other = load_config(
                    site_config.source, environ={**env, "STATION_MQTT_USERNAME": user}
                )
                assert _connects(other, user) is None, user
            # Nor does the CA file it names let it reach a broker in clear.
            plain = load_config(site_config.source, environ={**env, "STATION_MQTT_TLS": "false"})
            assert plain.mqtt.tls is False
            assert _connects(plain, "front-door") is None
        finally:
            site.close()
