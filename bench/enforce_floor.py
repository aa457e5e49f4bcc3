"""The floor of central change -> agent applied: the same chain by a minimal script.

A row updated at central with a NOTIFY in the same transaction, as the registry's
triggers do; a listener woken by it reads that row, signs it (Ed25519, one entry)
and publishes it at QoS 1; a subscriber verifies the signature and writes the entry
into SQLite. No cursors, no rounds, no fingerprint, no cache, no digest, no status
report: what the product costs beyond that is its own. Timed like the product, from
before the central UPDATE to the subscriber's commit.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as paho
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.enums import CallbackAPIVersion

from bench.sync_floors import libpq_url

CHANNEL = "floor_badge_changed"
TOPIC = "floor/agent/grants_delta"
HASH = "floor-badge"


def _central(url: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS floor_badge")
        conn.execute("CREATE TABLE floor_badge (hash text PRIMARY KEY, status text NOT NULL)")
        conn.execute("INSERT INTO floor_badge VALUES (%s, 'active')", (HASH,))


def _relay(
    url: str, port: int, key: Ed25519PrivateKey, ready: threading.Event, stop: threading.Event
) -> None:
    """Sync's whole job, bare: woken by NOTIFY, read the row, sign it, publish it."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="floor-relay")
    client.connect("127.0.0.1", port)
    client.loop_start()
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        ready.set()
        while not stop.is_set():
            # Drained before the SELECT: the connection serves one of them at a time.
            for _notify in list(conn.notifies(timeout=0.2, stop_after=1)):
                status = conn.execute(
                    "SELECT status FROM floor_badge WHERE hash = %s", (HASH,)
                ).fetchone()
                assert status is not None
                body = json.dumps({"upsert": {HASH: {"status": status[0]}}}).encode()
                client.publish(TOPIC, key.sign(body) + body, qos=1)
    client.loop_stop()
    client.disconnect()


class _Agent:
    """The agent's whole job, bare: verify the signature, write the entry."""

    def __init__(self, path: Path, port: int, key: Ed25519PrivateKey) -> None:
        self._public = key.public_key()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE grants (hash TEXT PRIMARY KEY, entry TEXT NOT NULL)")
        self.applied = threading.Event()
        self.applied_at = 0.0
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id="floor-agent")
        self._client.on_message = self._message
        self._client.connect("127.0.0.1", port)
        subscribed = threading.Event()
        self._client.on_subscribe = lambda *_: subscribed.set()
        self._client.loop_start()
        self._client.subscribe(TOPIC, qos=1)
        subscribed.wait(10)

    def _message(self, _client: paho.Client, _userdata: object, message: paho.MQTTMessage) -> None:
        signature, body = message.payload[:64], message.payload[64:]
        self._public.verify(signature, body)
        for badge, entry in json.loads(body)["upsert"].items():
            self._db.execute(
                "INSERT OR REPLACE INTO grants VALUES (?, ?)", (badge, json.dumps(entry))
            )
        self.applied_at = time.perf_counter()
        self.applied.set()

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()
        self._db.close()


@contextmanager
def _running(url: str, directory: Path, port: int) -> Iterator[_Agent]:
    _central(url)
    key = Ed25519PrivateKey.generate()
    agent = _Agent(directory / "floor-grants.db", port, key)
    ready, stop = threading.Event(), threading.Event()
    relay = threading.Thread(target=_relay, args=(url, port, key, ready, stop), daemon=True)
    relay.start()
    ready.wait(10)
    try:
        yield agent
    finally:
        stop.set()
        relay.join(10)
        agent.close()


def enforcement_floor(url: str, directory: Path, port: int, changes: int) -> list[float]:
    """Seconds from before the central UPDATE to the floor agent's commit, per change."""
    samples: list[float] = []
    with _running(url, directory, port) as agent, psycopg.connect(libpq_url(url)) as writer:
        for change in range(changes + 3):  # the first three warm up
            agent.applied.clear()
            started = time.perf_counter()
            status = "revoked" if change % 2 == 0 else "active"
            writer.execute("UPDATE floor_badge SET status = %s WHERE hash = %s", (status, HASH))
            writer.execute(f"NOTIFY {CHANNEL}")
            writer.commit()
            if not agent.applied.wait(10):
                raise RuntimeError("the floor agent never applied the change")
            if change >= 3:
                samples.append(agent.applied_at - started)
    return samples
