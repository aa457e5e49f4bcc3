"""`station deploy broker`: mosquitto's configuration, ACL, password file and TLS
material for one site, from `config.toml`.

Written under DIR::

    mosquitto.conf   0644  the broker's whole configuration (mosquitto -c DIR/mosquitto.conf)
    station.acl      0644  one account per agent, per kiosk, for sync and for sync's
                           one-shot runs (accounts.py)
    station.passwd   0600  those accounts' hashed passwords, mosquitto's format (passwd.py)
    ca.crt           0644  the site CA: every device gets it, to recognise the broker
    server.crt       0644  the broker's certificate, signed by the site CA
    secrets/         0700  <account>.password (0600, what `station deploy agent` bundles),
                           ca.key and server.key (0600), sync-once.env (0600, the
                           site server's /etc/station/sync-once.env: the account of
                           station-sync-once.service, `station sync --once`)
    data/                  mosquitto's persistence (sessions, queued and retained messages)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from station.config import StationConfig
from station.deploy import files, passwd, pki
from station.deploy.accounts import SYNC_ONCE, Account, accounts, render_acl
from station.protocol.signing import MAX_SNAPSHOT_BYTES

MAX_PACKET_BYTES = MAX_SNAPSHOT_BYTES + 64 * 1024  # a snapshot, its topic and headers
MAX_QUEUED_BYTES = 2 * MAX_SNAPSHOT_BYTES  # a snapshot pending for an agent, and more

TLS_PORT = 8883  # MQTT over TLS, when [mqtt] says nothing of TLS
HOURS_OF_OUTAGE = 24
SYNC_ONCE_ENV = f"{SYNC_ONCE}.env"


@dataclass(frozen=True)
class BrokerDeployment:
    """What a deploy wrote: where, on which port, for which accounts."""

    out: Path
    port: int
    accounts: tuple[str, ...]
    max_queued_messages: int
    changed: tuple[str, ...]  # files (relative to `out`) whose content changed
    notices: tuple[str, ...] = ()  # what the operator must do (pki.ensure: a renewed CA)


def listener_port(config: StationConfig) -> int:
    """[mqtt] port when the clients are configured for TLS; else the TLS port 8883
    (the broker has no plain listener, so a port meant for plain MQTT is not it)."""
    return config.mqtt.port if config.mqtt.tls else TLS_PORT


def max_queued_messages(config: StationConfig) -> int:
    """A day of the busiest agent's messages, for every agent.

    The limit is per client session, and sync's single session receives every agent's
    events, statuses and command results: with sync down for a day, its queue holds
    the whole site's day. Sized on the busiest agent, so no agent's day is cut short.
    """
    per_agent = config.mqtt.busiest_agent_messages_per_hour * HOURS_OF_OUTAGE
    return per_agent * max(1, len(config.agents))


def render_conf(out: Path, port: int, queued: int) -> str:
    return "\n".join(
        [
            "# mosquitto for a Station site, written by `station deploy broker`; see",
            "# docs/deploy.md for why each setting. Do not edit: deploy again.",
            "per_listener_settings false",
            "allow_anonymous false",
            f"password_file {out / 'station.passwd'}",
            f"acl_file {out / 'station.acl'}",
            "",
            "# Sessions, queued QoS 1 messages and retained grants/statuses survive a restart.",
            "persistence true",
            f"persistence_location {out / 'data'}/",
            "",
            f"# A day of outage: {HOURS_OF_OUTAGE} h x the busiest agent's messages an hour",
            "# x the agents (sync's one session queues them all). mosquitto's default, 1000,",
            "# silently drops QoS 1 messages beyond it.",
            f"max_queued_messages {queued}",
            "max_inflight_messages 100",
            "# No message larger than the largest the protocol reads (a grant snapshot):",
            "# mosquitto's default, 256 MiB, would let one stolen account leave a retained",
            "# message every agent must take in at each connection.",
            f"max_packet_size {MAX_PACKET_BYTES}",
            "# A session's queue is bounded in bytes too: beyond it QoS 1 messages wait at",
            "# their sender (an agent's outbox keeps its events until acknowledged).",
            f"max_queued_bytes {MAX_QUEUED_BYTES}",
            "# Offline MQTT 3.1.1 sessions never expire by themselves; MQTT 5 clients say",
            "# how long.",
            "persistent_client_expiration 7d",
            "",
            "# The only listener: TLS, password accounts (no client certificates).",
            f"listener {port}",
            "# An account's user name is its client id: no account takes over another's",
            "# session (else a stolen agent connecting as sync's client id would keep",
            "# disconnecting it). Two clients of one account replace each other: one-shot",
            "# runs beside the sync service use the sync-once account.",
            "use_username_as_clientid true",
            f"cafile {out / 'ca.crt'}",
            f"certfile {out / 'server.crt'}",
            f"keyfile {out / 'secrets' / 'server.key'}",
            "require_certificate false",
            "",
        ]
    )


def deploy_broker(
    config: StationConfig,
    out: Path,
    now: datetime,
    *,
    port: int | None = None,
    renew: bool = False,
) -> BrokerDeployment:
    """Write the broker's files under `out`; keep passwords and keys unless `renew`."""
    out = out.resolve()
    every = accounts(config)
    secrets = files.secret_dir(out / "secrets")
    passwords = {a.user: files.password(secrets / f"{a.user}.password", renew=renew) for a in every}
    notices = pki.ensure(
        pki.Paths.under(out, secrets), config.site.id, config.mqtt.host, now, renew=renew
    )
    (out / "data").mkdir(exist_ok=True)
    chosen = listener_port(config) if port is None else port
    queued = max_queued_messages(config)
    passwd_path = out / "station.passwd"
    existing = passwd_path.read_text() if passwd_path.exists() and not renew else ""
    written = {
        "mosquitto.conf": (render_conf(out, chosen, queued), files.PUBLIC),
        "station.acl": (render_acl(config.site.id, every), files.PUBLIC),
        "station.passwd": (passwd.render(passwords, existing), files.SECRET),
        f"secrets/{SYNC_ONCE_ENV}": (render_sync_once_env(passwords[SYNC_ONCE]), files.SECRET),
    }
    changed = [
        name
        for name, (text, mode) in written.items()
        if files.write(out / name, text.encode(), mode)
    ]
    return BrokerDeployment(out, chosen, _users(every), queued, tuple(changed), notices)


def render_sync_once_env(password: str) -> str:
    """What station-sync-once.service reads after secrets.env: the one-shot account
    instead of the service's (a password of `files.password` needs no quoting)."""
    return "\n".join(
        [
            "# The broker account of `station sync --once` beside the running sync service",
            "# (station-sync-once.service). Written by `station deploy broker`; install as",
            f"# /etc/station/{SYNC_ONCE_ENV} on the site server, 0600.",
            f"STATION_MQTT_USERNAME={SYNC_ONCE}",
            f"STATION_MQTT_PASSWORD={password}",
            "",
        ]
    )


def _users(every: tuple[Account, ...]) -> tuple[str, ...]:
    return tuple(a.user for a in every)


def deployed_port(out: Path) -> int | None:
    """The listener port of the broker deployed under `out`, or None if none is."""
    conf = out / "mosquitto.conf"
    if not conf.exists():
        return None
    for line in conf.read_text().splitlines():
        word, _, rest = line.partition(" ")
        if word == "listener" and rest.split()[:1] and rest.split()[0].isdigit():
            return int(rest.split()[0])
    return None
