"""What `station deploy broker` writes: modes, the password format, idempotence."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from station.config import StationConfig
from station.deploy import passwd
from station.deploy.accounts import SYNC, SYNC_ONCE, accounts, kiosk_user
from station.deploy.broker import BrokerDeployment, deploy_broker, max_queued_messages
from station.errors import ConfigError
from tests.station.deploy.running import NOW

PUBLIC = ("mosquitto.conf", "station.acl", "ca.crt", "server.crt")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_file_modes(deployed: BrokerDeployment) -> None:
    out = deployed.out
    for name in PUBLIC:
        assert _mode(out / name) == 0o644, name
    assert _mode(out / "station.passwd") == 0o600
    assert _mode(out / "secrets") == 0o700
    secrets = sorted((out / "secrets").iterdir())
    assert {p.name for p in secrets} >= {"ca.key", "server.key", "sync.password"}
    for path in secrets:
        assert _mode(path) == 0o600, path.name


def test_one_account_per_agent_kiosk_and_sync(
    deployed: BrokerDeployment, site_config: StationConfig
) -> None:
    expected = {SYNC, SYNC_ONCE, *site_config.agents}
    expected |= {kiosk_user(k) for k in site_config.kiosks}
    assert set(deployed.accounts) == expected
    entries = passwd.parse((deployed.out / "station.passwd").read_text())
    assert set(entries) == expected
    for user, hashed in entries.items():
        password = (deployed.out / "secrets" / f"{user}.password").read_text().strip()
        assert passwd.verify(password, hashed)
        assert not passwd.verify(password + "x", hashed)


def test_deploying_again_keeps_every_password_and_key(
    deployed: BrokerDeployment, site_config: StationConfig
) -> None:
    before = _snapshot(deployed.out)
    again = deploy_broker(site_config, deployed.out, NOW)
    assert again.changed == ()
    assert _snapshot(deployed.out) == before
    renewed = deploy_broker(site_config, deployed.out, NOW, renew=True)
    after = _snapshot(deployed.out)
    for name in ("secrets/sync.password", "secrets/ca.key", "secrets/server.key", "ca.crt"):
        assert after[name] != before[name], name
    assert "station.passwd" in renewed.changed


def test_a_lost_file_is_made_again_and_the_rest_kept(
    deployed: BrokerDeployment, site_config: StationConfig
) -> None:
    before = _snapshot(deployed.out)
    (deployed.out / "server.crt").unlink()
    (deployed.out / "secrets" / "front-door.password").unlink()
    deploy_broker(site_config, deployed.out, NOW)
    after = _snapshot(deployed.out)
    assert after["secrets/ca.key"] == before["secrets/ca.key"]
    assert after["secrets/server.key"] == before["secrets/server.key"]
    assert after["secrets/sync.password"] == before["secrets/sync.password"]
    assert after["secrets/front-door.password"] != before["secrets/front-door.password"]


def test_queue_holds_a_day_of_every_agent(site_config: StationConfig) -> None:
    per_hour = site_config.mqtt.busiest_agent_messages_per_hour
    assert max_queued_messages(site_config) == per_hour * 24 * len(site_config.agents)


def test_an_agent_named_like_another_account_is_refused(site_config: StationConfig) -> None:
    agents = dict(site_config.agents)
    agents[SYNC] = agents["front-door"]
    with pytest.raises(ConfigError, match="sync"):
        accounts(site_config.model_copy(update={"agents": agents}))
    agents = dict(site_config.agents)
    agents[SYNC_ONCE] = agents["front-door"]
    with pytest.raises(ConfigError, match="sync-once"):
        accounts(site_config.model_copy(update={"agents": agents}))


def test_the_one_shot_account_comes_with_its_env_file(deployed: BrokerDeployment) -> None:
    env = deployed.out / "secrets" / "sync-once.env"
    assert _mode(env) == 0o600
    password = (deployed.out / "secrets" / "sync-once.password").read_text().strip()
    lines = [line for line in env.read_text().splitlines() if not line.startswith("#")]
    assert lines == [f"STATION_MQTT_USERNAME={SYNC_ONCE}", f"STATION_MQTT_PASSWORD={password}"]
    sync = (deployed.out / "secrets" / "sync.password").read_text().strip()
    assert sync not in env.read_text()


def test_password_entries_are_mosquittos_own(tmp_path: Path) -> None:
    binary = shutil.which("mosquitto_passwd")
    if binary is None:
        pytest.skip("mosquitto_passwd is not installed")
    made = tmp_path / "made.passwd"
    subprocess.run([binary, "-c", "-b", str(made), "alice", "s3cret"], check=True)
    theirs = passwd.parse(made.read_text())["alice"]
    assert theirs.startswith(f"$7${passwd.ITERATIONS}$")
    assert passwd.verify("s3cret", theirs)
    assert not passwd.verify("S3cret", theirs)


def test_the_command_writes_and_reports(
    site_config: StationConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from station.cli.main import main

    out = tmp_path / "cli"
    argv = ["--config", str(site_config.source), "--json", "deploy", "broker", "--out", str(out)]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["port"] == site_config.mqtt.port
    assert set(first["changed"]) == {
        "mosquitto.conf",
        "station.acl",
        "station.passwd",
        "secrets/sync-once.env",
    }
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["changed"] == []
    assert f"listener {site_config.mqtt.port}\n" in (out / "mosquitto.conf").read_text()
