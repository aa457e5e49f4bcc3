"""`station deploy agent ID` and `station deploy kiosk ID`: one device's bundle.

Written under ``DIR/devices/<account>/`` (0700), beside what `station deploy broker`
wrote in DIR, and copied to the device's ``/etc/station/``::

    agent-<id>.env | kiosk-<id>.env  0600  the EnvironmentFile of the device's unit:
                                           its broker account, TLS, the badge key
    ca.crt                           0644  the site CA, to recognise the broker
    keys/site.pub                    0644  an agent's: the site's public keys
    keys/kiosk-<id>.key              0600  a kiosk's: its own issuer key
    keys/desfire-read.json           0600  both: the DESFire read key file (the read
                                           master, AID, system id; station.desfire_keys)

The bundle holds that device's password and no other's: it is read from
``DIR/secrets/<account>.password``, and the broker is deployed first if that or the
CA is missing (idempotent: what exists is kept). No private key but a kiosk's own
and the DESFire read master: nothing in an agent's bundle signs anything an agent
accepts, nor writes or formats a badge (docs/security.md).
The keys come from the site server's keys directory (`station keys init` is run
first, keeping what exists).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from station import desfire_keys
from station.config import StationConfig
from station.deploy import files
from station.deploy.accounts import accounts, kiosk_user
from station.deploy.broker import deploy_broker, deployed_port, listener_port
from station.errors import ConfigError
from station.keystore import SITE_PUBLIC, KeyStore, kiosk_key_file

Written = tuple[bytes, int]  # a file's content and mode

INSTALLED_IN = Path("/etc/station")  # where the bundle goes on the device
# A value of these characters needs no quoting in a systemd EnvironmentFile.
_BARE = re.compile(r"[A-Za-z0-9_./:@%+=,-]*")


class DeviceKind(StrEnum):
    AGENT = "agent"
    KIOSK = "kiosk"


@dataclass(frozen=True)
class Bundle:
    kind: DeviceKind
    device: str  # agent or kiosk id
    account: str  # its broker user name
    directory: Path
    env_file: Path
    changed: tuple[str, ...]  # files (relative to `directory`) whose content changed


def account_of(config: StationConfig, kind: DeviceKind, device: str) -> str:
    """The device's broker user name; ConfigError if the configuration has no such device."""
    known = config.agents if kind is DeviceKind.AGENT else config.kiosks
    if device not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise ConfigError([f"{kind}s.{device}: no such {kind}; expected one of: {listed}"])
    return device if kind is DeviceKind.AGENT else kiosk_user(device)


def env_file_name(kind: DeviceKind, device: str) -> str:
    """The name the device's unit reads (/etc/station/<name>)."""
    return f"{kind}-{device}.env"


def deploy_device(
    config: StationConfig,
    out: Path,
    kind: DeviceKind,
    device: str,
    now: datetime,
    *,
    installed_in: Path = INSTALLED_IN,
) -> Bundle:
    out = out.resolve()
    account = account_of(config, kind, device)
    accounts(config)  # refuses an agent id that would share another account
    password_path = out / "secrets" / f"{account}.password"
    if not password_path.exists() or not (out / "ca.crt").exists():
        deploy_broker(config, out, now)
    port = deployed_port(out) or listener_port(config)
    password = files.password(password_path)
    directory = files.secret_dir(out / "devices" / account)
    name = env_file_name(kind, device)
    env = render_env(
        kind,
        device,
        {
            "STATION_MQTT_USERNAME": account,
            "STATION_MQTT_PASSWORD": password,
            "STATION_MQTT_TLS": "true",
            "STATION_MQTT_CA_FILE": str(installed_in / "ca.crt"),
            "STATION_MQTT_PORT": str(port),
            "STATION_BADGE_KEY": config.site.badge_key,
            "STATION_KEYS_DIR": str(installed_in / "keys"),
        },
    )
    written = {
        name: (env.encode(), files.SECRET),
        "ca.crt": ((out / "ca.crt").read_bytes(), files.PUBLIC),
        **device_keys(config, kind, device, now),
    }
    changed = [n for n, (data, mode) in written.items() if files.write(directory / n, data, mode)]
    return Bundle(kind, device, account, directory, directory / name, tuple(changed))


def device_keys(
    config: StationConfig, kind: DeviceKind, device: str, now: datetime
) -> dict[str, Written]:
    """The key files of the device's bundle: the site's public keys for an agent, its
    own issuer key for a kiosk, and for both the DESFire read key file; nothing else
    private."""
    store = KeyStore(config.keys_dir)
    store.init(config.kiosks, now)
    desfire, _ = desfire_keys.ensure_site_keys(store.directory, config.site.id)
    # The read master only: a device reads the site's secure badges, never writes one.
    read = {
        f"keys/{desfire_keys.READ_FILE}": (desfire_keys.render(desfire.read_file()), files.SECRET)
    }
    if kind is DeviceKind.AGENT:
        return {f"keys/{SITE_PUBLIC}": (store.site_public.read_bytes(), files.PUBLIC), **read}
    path = kiosk_key_file(store.directory, device)
    return {f"keys/{path.name}": (path.read_bytes(), files.SECRET), **read}


def render_env(kind: DeviceKind, device: str, values: dict[str, str]) -> str:
    name = env_file_name(kind, device)
    lines = [
        f"# Station {kind} {device}: its broker account and the site CA's path. Written",
        f"# by `station deploy {kind} {device}`; install as /etc/station/{name},",
        "# 0600. STATION_BADGE_KEY hashes badge UIDs and signs nothing; see",
        "# docs/security.md, 'What a stolen device holds'.",
    ]
    lines += [env_line(key, value) for key, value in values.items()]
    return "\n".join(lines) + "\n"


def env_line(key: str, value: str) -> str:
    """One ``KEY=value`` line of an env file, quoted as `read_env` and systemd read it."""
    return f"{key}={_quoted(value)}"


def read_env(path: Path) -> dict[str, str]:
    """An env file as `render_env` writes it (bare or double-quoted values)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if not sep or line.startswith("#"):
            continue
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        values[key] = value
    return values


def _quoted(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ConfigError(["a value for a device's env file spans lines; expected one line"])
    if _BARE.fullmatch(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
