"""`station deploy server`: the site server's bundle holds sync's account, the site's
whole keys directory and, once `station deploy central --out` kept it, the site's
central URL; deployed again it changes nothing."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from station.cli.main import main
from station.config import StationConfig, load_config
from station.db import make_engine
from station.deploy.accounts import SYNC, SYNC_ONCE, accounts
from station.deploy.central import password_path
from station.deploy.device import DeviceKind, deploy_device, read_env
from station.deploy.server import ServerBundle, deploy_server
from station.errors import ConfigError
from station.keystore import KeyStore
from sync.rights import site_role
from tests.station.deploy.running import NOW
from tests.support.config import write_config

CENTRAL = "postgresql+psycopg://owner:owner-pw@central.internal:5432/registry"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _deploy(config: StationConfig, out: Path, central_host: str | None = None) -> ServerBundle:
    return deploy_server(config, out, NOW, site_role=site_role, central_host=central_host)


def test_the_bundle_holds_syncs_files_with_their_modes(
    site_config: StationConfig, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    # No broker deployed yet: the bundle deploys it, then takes sync's password.
    bundle = _deploy(site_config, out)
    assert bundle.directory == out / "devices" / "server"
    assert bundle.env_file == bundle.directory / "secrets.env"
    store = KeyStore(site_config.keys_dir)
    (site_key,) = [p.name for p in store.directory.glob("site-*.key")]
    assert _files(bundle.directory).keys() == {
        "secrets.env",
        "sync-once.env",
        "ca.crt",
        "keys/trust.json",
        f"keys/{site_key}",
        "keys/site.pub",
        "keys/kiosk-entrance.key",
        "keys/desfire-site.json",
    }
    assert set(bundle.changed) == set(_files(bundle.directory))
    modes = {name: _mode(bundle.directory / name) for name in _files(bundle.directory)}
    assert modes == {
        "secrets.env": 0o600,
        "sync-once.env": 0o600,
        "ca.crt": 0o644,
        "keys/trust.json": 0o600,
        f"keys/{site_key}": 0o600,
        "keys/site.pub": 0o644,
        "keys/kiosk-entrance.key": 0o600,
        "keys/desfire-site.json": 0o600,
    }
    assert _mode(bundle.directory) == 0o700
    assert _mode(bundle.directory / "keys") == 0o700
    # The keys directory copied whole, byte for byte; the broker's files as deployed.
    for path in store.directory.iterdir():
        if not path.name.startswith("."):  # the writers' lock file is not copied
            assert (bundle.directory / "keys" / path.name).read_bytes() == path.read_bytes()
    assert (bundle.directory / "ca.crt").read_bytes() == (out / "ca.crt").read_bytes()
    once = (out / "secrets" / "sync-once.env").read_bytes()
    assert (bundle.directory / "sync-once.env").read_bytes() == once
    header = bundle.env_file.read_text()
    assert "every private key of the" in header
    assert "STATION_SITE_SECRET" not in header


def test_its_env_file_is_syncs_account_over_tls_with_the_keys_and_badge_key(
    site_config: StationConfig, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    bundle = _deploy(site_config, out)
    env = read_env(bundle.env_file)
    server = load_config(site_config.source, environ=env)
    assert server.mqtt.username == SYNC
    assert server.mqtt.password == (out / "secrets" / "sync.password").read_text().strip()
    assert server.mqtt.tls is True
    assert server.mqtt.ca_file == "/etc/station/ca.crt"
    assert server.mqtt.port == site_config.mqtt.port
    assert server.keys_dir == Path("/etc/station/keys")
    assert server.site.badge_key == site_config.site.badge_key
    # No central password kept: the configuration's central, and a line says what to run.
    assert not bundle.central_url
    assert "STATION_CENTRAL_URL" not in env
    assert server.central.url == site_config.central.url
    assert f"`station deploy central --site {site_config.site.id} --out DIR`" in (
        bundle.env_file.read_text()
    )
    # The one-shot unit reads secrets.env, then its own account over sync's.
    once = load_config(
        site_config.source, environ={**env, **read_env(bundle.directory / "sync-once.env")}
    )
    assert once.mqtt.username == SYNC_ONCE
    assert once.mqtt.password != server.mqtt.password
    assert once.keys_dir == server.keys_dir


def test_a_kept_central_password_gives_the_sites_central_url(
    site_config: StationConfig, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    kept = password_path(out, site_config.site.id)
    kept.parent.mkdir(parents=True)
    kept.write_text("kept-pw_123\n")
    owner = load_config(site_config.source, environ={"STATION_CENTRAL_URL": CENTRAL})
    bundle = _deploy(owner, out, central_host="10.0.0.5")
    assert bundle.central_url
    env = read_env(bundle.env_file)
    url = make_url(env["STATION_CENTRAL_URL"])
    assert url.username == site_role(site_config.site.id)
    assert url.password == "kept-pw_123"
    assert (url.host, url.port, url.database) == ("10.0.0.5", 5432, "registry")
    assert "owner-pw" not in bundle.env_file.read_text()
    assert "No STATION_CENTRAL_URL" not in bundle.env_file.read_text()
    # Not PostgreSQL: no URL for the site's role can be made from it.
    with pytest.raises(ConfigError, match=r"central\.url: expected the PostgreSQL URL"):
        _deploy(site_config, out)


def test_a_second_run_changes_nothing(site_config: StationConfig, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _deploy(site_config, out)
    assert first.changed
    before = {p: (p.read_bytes(), _mode(p)) for p in sorted(out.rglob("*")) if p.is_file()}
    keys_before = _files(site_config.keys_dir)
    again = _deploy(site_config, out)
    assert again.changed == ()
    assert {p: (p.read_bytes(), _mode(p)) for p in sorted(out.rglob("*")) if p.is_file()} == (
        before
    )
    assert _files(site_config.keys_dir) == keys_before


def test_a_revoked_kiosks_key_leaves_the_bundle(site_config: StationConfig, tmp_path: Path) -> None:
    out = tmp_path / "out"
    bundle = _deploy(site_config, out)
    assert (bundle.directory / "keys" / "kiosk-entrance.key").exists()
    KeyStore(site_config.keys_dir).revoke_kiosk("entrance")
    # Its configuration says the kiosk is gone too, or `keys init` would make a new key.
    gone = site_config.model_copy(update={"kiosks": {}})
    again = _deploy(gone, out)
    # The bundle also carries the revocation: `keys init` on the server trusts it no more.
    assert set(again.changed) == {"keys/kiosk-entrance.key", "keys/trust.json", "keys/revoked"}
    assert not (bundle.directory / "keys" / "kiosk-entrance.key").exists()
    assert (bundle.directory / "keys" / "trust.json").read_bytes() == (
        site_config.keys_dir / "trust.json"
    ).read_bytes()


def test_the_server_holds_the_site_signing_key_and_an_agent_does_not(
    site_config: StationConfig, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    server = _deploy(site_config, out)
    agent = deploy_device(site_config, out, DeviceKind.AGENT, "front-door", NOW)
    store = KeyStore(site_config.keys_dir)
    signing = store.signer(NOW)
    site_key = store.site_key_file(signing.key_id).read_bytes()
    kiosk_key = (site_config.keys_dir / "kiosk-entrance.key").read_bytes()
    server_bytes = b"".join(_files(server.directory).values())
    agent_files = _files(agent.directory)
    assert site_key in server_bytes
    assert kiosk_key in server_bytes
    for name, content in agent_files.items():
        assert site_key not in content, name
        assert kiosk_key not in content, name
    # The agent holds the site's public keys, the same the server holds.
    assert agent_files["keys/site.pub"] == _files(server.directory)["keys/site.pub"]
    # And the server's broker account is sync's, no device's.
    users = {a.user for a in accounts(site_config)}
    assert read_env(server.env_file)["STATION_MQTT_USERNAME"] == SYNC
    assert read_env(agent.env_file)["STATION_MQTT_USERNAME"] in users - {SYNC}


@pytest.fixture
def pg_site(pg_migrated_url: str) -> Iterator[str]:
    """A site id of its own (PostgreSQL roles belong to the server), its role dropped after."""
    site = f"server-{uuid.uuid4().hex[:10]}"
    yield site
    engine = make_engine(pg_migrated_url)
    role = site_role(site)
    with engine.begin() as connection:
        if connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).first():
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
    engine.dispose()


def test_the_commands_give_the_url_deploy_central_printed(
    tmp_path: Path, pg_migrated_url: str, pg_site: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path,
        overrides={
            "site": {"id": pg_site},
            "central": {"url": pg_migrated_url},
            "mqtt": {"tls": True, "port": 8883},
        },
    )
    out = tmp_path / "deploy"
    base = ["--config", str(config), "--json", "deploy"]
    assert main([*base, "central", "--site", pg_site, "--out", str(out)]) == 0
    central = json.loads(capsys.readouterr().out)
    assert main([*base, "server", "--out", str(out)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["central_url"] is True
    assert "secrets.env" in first["changed"]
    env = read_env(Path(first["env_file"]))
    assert env["STATION_CENTRAL_URL"] == central["url"]
    assert main([*base, "server", "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["changed"] == []
    # The URL connects, as the site's role.
    engine = make_engine(env["STATION_CENTRAL_URL"])
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT current_user")).scalar() == site_role(pg_site)
    finally:
        engine.dispose()
