"""`station deploy server`: the site server's bundle, for `station sync` (its service,
station-sync.service, and its one-shot runs, station-sync-once.service).

Written under ``DIR/devices/server/`` (0700), beside what `station deploy broker`
wrote in DIR, and copied to the site server's ``/etc/station/``::

    secrets.env          0600  the EnvironmentFile of sync's units: the badge key, the
                               broker account sync, TLS, the keys directory, and the
                               site's STATION_CENTRAL_URL once `station deploy central`
                               has kept its password in DIR
    sync-once.env        0600  the one-shot account, read after secrets.env
    ca.crt               0644  the site CA, to recognise the broker
    keys/                0700  the site's whole keys directory (`station keys`):
      trust.json         0600    the trust list
      site-<key id>.key  0600    the site's signing keys
      site.pub           0644    the site's public keys
      kiosk-<id>.key     0600    every kiosk's issuer key
      desfire-site.json  0600    the DESFire issue and read masters (station.desfire_keys)

Unlike a device's bundle this one holds every private key of the site: whoever takes
the site server can do what the site can (docs/security.md). The keys are read from
the keys directory of the configuration (`station keys init` is run first, keeping
what exists); a key file the directory no longer has (a revoked kiosk's) leaves the
bundle too. Idempotent: what is already right is not written again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from station import desfire_keys
from station.config import StationConfig
from station.deploy import files
from station.deploy.accounts import SYNC
from station.deploy.broker import SYNC_ONCE_ENV, deploy_broker, deployed_port, listener_port
from station.deploy.central import password_path
from station.deploy.device import INSTALLED_IN, Written, env_line
from station.errors import ConfigError
from station.keystore import SITE_PUBLIC, KeyStore

SERVER = "server"  # the bundle's directory under DIR/devices/
ENV_FILE = "secrets.env"  # what deploy/station-sync.service reads
KEYS = "keys"

SiteRole = Callable[[str], str]  # sync.rights.site_role: the core imports no part


@dataclass(frozen=True)
class ServerBundle:
    directory: Path
    env_file: Path
    central_url: bool  # the env file carries STATION_CENTRAL_URL
    changed: tuple[str, ...]  # files (relative to `directory`) written or removed


def deploy_server(
    config: StationConfig,
    out: Path,
    now: datetime,
    *,
    site_role: SiteRole,
    central_host: str | None = None,
    installed_in: Path = INSTALLED_IN,
) -> ServerBundle:
    """Write the site server's bundle under ``out/devices/server``; `site_role` names
    the site's role at central, `central_host` central's address as the site reaches
    it if not the configured one."""
    out = out.resolve()
    password_file = out / "secrets" / f"{SYNC}.password"
    needed = (password_file, out / "ca.crt", out / "secrets" / SYNC_ONCE_ENV)
    if not all(path.exists() for path in needed):
        deploy_broker(config, out, now)
    values = {
        "STATION_BADGE_KEY": config.site.badge_key,
        "STATION_MQTT_USERNAME": SYNC,
        "STATION_MQTT_PASSWORD": files.password(password_file),
        "STATION_MQTT_TLS": "true",
        "STATION_MQTT_CA_FILE": str(installed_in / "ca.crt"),
        "STATION_MQTT_PORT": str(deployed_port(out) or listener_port(config)),
        "STATION_KEYS_DIR": str(installed_in / KEYS),
    }
    central = _central_url(config, out, site_role, central_host)
    if central is not None:
        values["STATION_CENTRAL_URL"] = central
    directory = files.secret_dir(out / "devices" / SERVER)
    files.secret_dir(directory / KEYS)
    written: dict[str, Written] = {
        ENV_FILE: (render_server_env(config, values).encode(), files.SECRET),
        SYNC_ONCE_ENV: ((out / "secrets" / SYNC_ONCE_ENV).read_bytes(), files.SECRET),
        "ca.crt": ((out / "ca.crt").read_bytes(), files.PUBLIC),
        **server_keys(config, now),
    }
    changed = [n for n, (data, mode) in written.items() if files.write(directory / n, data, mode)]
    changed += _remove_stale(directory / KEYS, written)
    return ServerBundle(directory, directory / ENV_FILE, central is not None, tuple(changed))


def server_keys(config: StationConfig, now: datetime) -> dict[str, Written]:
    """Every file of the site's keys directory, each with its mode: the public keys
    readable by all, the rest by the owner only."""
    store = KeyStore(config.keys_dir)
    store.init(config.kiosks, now)
    desfire_keys.ensure_site_keys(store.directory, config.site.id)  # made once, then kept
    return {
        f"{KEYS}/{path.name}": (
            path.read_bytes(),
            files.PUBLIC if path.name == SITE_PUBLIC else files.SECRET,
        )
        for path in sorted(store.directory.iterdir())
        if not path.name.startswith(".")  # the lock file
        if path.is_file() and not path.name.startswith(".")  # not a write in progress
    }


def _remove_stale(keys: Path, written: dict[str, Written]) -> list[str]:
    """Remove the bundle's key files the keys directory no longer holds."""
    stale = [p for p in sorted(keys.iterdir()) if f"{KEYS}/{p.name}" not in written]
    for path in stale:
        path.unlink()
    return [f"{KEYS}/{p.name}" for p in stale]


def _central_url(
    config: StationConfig, out: Path, site_role: SiteRole, host: str | None
) -> str | None:
    """The site's STATION_CENTRAL_URL as `station deploy central --out` made it: the
    configured central with the site's role and kept password; None if none is kept."""
    path = password_path(out, config.site.id)
    if not path.exists():
        return None
    configured = config.resolve_url(config.central.url)
    try:
        url = make_url(configured)
    except ArgumentError:
        url = None
    if url is None or url.get_backend_name() != "postgresql":
        raise ConfigError(
            [
                f"central.url: expected the PostgreSQL URL `station deploy central` used "
                f"(a password for the site's role is kept in {path})"
            ]
        )
    password = path.read_text(encoding="ascii").strip()
    if not password:  # a new one would not be the role's: the site would be cut off
        raise ConfigError([f"{path}: empty; expected the password `station deploy central` kept"])
    url = url.set(username=site_role(config.site.id), password=password)
    if host is not None:
        url = url.set(host=host)
    return url.render_as_string(hide_password=False)


def render_server_env(config: StationConfig, values: dict[str, str]) -> str:
    lines = [
        f"# Station site server of {config.site.id}: what `station sync` reads (its units",
        "# station-sync.service and station-sync-once.service). Written by `station deploy",
        f"# server`; install as /etc/station/{ENV_FILE}, 0600 (systemd reads it as root),",
        "# and keys/ as STATION_KEYS_DIR, owned by the user sync runs as. STATION_BADGE_KEY",
        "# hashes badge UIDs and signs nothing. This server holds every private key of the",
        "# site: the site's signing keys and every kiosk's issuer key (docs/security.md).",
    ]
    lines += [env_line(key, value) for key, value in values.items()]
    if "STATION_CENTRAL_URL" not in values:
        lines += [
            "# No STATION_CENTRAL_URL yet (sync then uses central.url of config.toml): run",
            f"# `station deploy central --site {config.site.id} --out DIR`, then this again.",
        ]
    return "\n".join(lines) + "\n"
