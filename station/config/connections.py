"""Where the site's data and messages go: its database, the central registry, the
MQTT broker."""

from __future__ import annotations

from typing import Literal

from station.config.base import Section, doc


class DatabaseConfig(Section):
    url: str = doc(
        "SQLAlchemy URL of the site database. A relative SQLite path is taken "
        "from the directory of the configuration file.",
        "sqlite:///var/site.db",
    )


class CentralConfig(Section):
    url: str = doc(
        "SQLAlchemy URL of the central registry (PostgreSQL in production, "
        "an SQLite file for the demo).",
        "sqlite:///var/central.db",
    )
    poll_interval_s: float = doc(
        "Seconds between two sync rounds when no change is "
        "notified (PostgreSQL LISTEN/NOTIFY wakes sync earlier).",
        30.0,
        default=30.0,
        gt=0,
    )
    batch_size: int = doc(
        "Rows per transaction in either direction.", 5000, default=5000, ge=1, le=100_000
    )


class MqttConfig(Section):
    host: str = doc("Broker host name or address.", "127.0.0.1", default="127.0.0.1")
    port: int = doc("Broker TCP port.", 1883, default=1883, ge=1, le=65535)
    username: str = doc(
        "User name; empty for an anonymous broker. Per-device accounts "
        "are recommended (see docs/protocol.md).",
        "",
        default="",
    )
    password: str = doc("Password; override with STATION_MQTT_PASSWORD.", "", default="")
    tls: bool = doc("Connect over TLS.", False, default=False)
    ca_file: str = doc("CA certificate file for TLS; empty uses the system's.", "", default="")
    protocol: Literal[5, 311] = doc("MQTT protocol version: 5 or 311 (3.1.1).", 5, default=5)
    keepalive_s: int = doc("Keep-alive interval in seconds.", 30, default=30, ge=5)
    session_expiry_s: int = doc(
        "How long the broker keeps a disconnected client's "
        "session and queued QoS 1 messages (MQTT 5).",
        86400,
        default=86400,
        ge=0,
    )
    busiest_agent_messages_per_hour: int = doc(
        "Messages an hour (events, statuses, command results) of the site's busiest "
        "agent at its peak. `station deploy broker` sizes the broker's queue "
        "(max_queued_messages) for a day of it from every agent, so that a site server "
        "down for a day loses nothing.",
        500,
        default=500,
        ge=1,
    )
