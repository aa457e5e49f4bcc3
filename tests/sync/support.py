"""Helpers for the sync tests: people written at central, tables compared across ends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select, text

from station import registry
from station.credential import Credential
from station.db import Badge, Member
from sync import central
from sync.tables import DOWN_TABLES, HISTORY_MODELS, primary_key, table_of
from tests.support.wait import wait_for

KEY = b"test-site-key-0123456789"
COMPARED = (
    "revision",
    "deleted_at",
    "status",
    "member_id",
    "hash",
    "first_name",
    "valid_until",
    "training_code",
    "expires_at",
)


def unique_site() -> str:
    """A site id of the test's own: its MQTT topics and sync session are its own too
    (a persistent session left by another test would deliver that test's events)."""
    import uuid

    return f"t-{uuid.uuid4().hex[:12]}"


def add_people(
    engine: Engine, count: int, *, start: int = 0, until: dt.date = dt.date(2030, 1, 1)
) -> list[str]:
    """`count` members written at central, each with a membership and a badge; their UIDs."""
    uids = []
    with central.session(engine) as db:
        for index in range(start, start + count):
            member = registry.add_member(
                db, f"M{index}", f"N{index}", membership_until=until, today=dt.date(2026, 1, 1)
            )
            uid = f"04{index:06X}"  # 4 bytes: a UID of ISO 14443 (station.fields)
            registry.enroll_badge(db, member, Credential.uid(uid), KEY)
            uids.append(uid)
    return uids


def badge_hash(uid: str) -> str:
    return Credential.uid(uid).keyed_hash(KEY)


def registry_state(engine: Engine) -> dict[str, dict[str, tuple[Any, ...]]]:
    """Every replicated row, by table and id, with the columns that matter."""
    state: dict[str, dict[str, tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in DOWN_TABLES:
            columns = [table.c[c] for c in COMPARED if c in table.c]
            key = table.c[primary_key(table)]
            state[table.name] = {
                str(row[0]): tuple(row[1:]) for row in connection.execute(select(key, *columns))
            }
    return state


def history_ids(engine: Engine) -> dict[str, list[str]]:
    """Ids of every history row by table (sorted, duplicates would show)."""
    with engine.connect() as connection:
        return {
            table_of(m).name: sorted(
                str(i) for i in connection.execute(select(table_of(m).c.id)).scalars()
            )
            for m in HISTORY_MODELS
        }


def revoke(engine: Engine, uid: str) -> None:
    with central.session(engine) as db:
        badge = db.scalar(select(Badge).where(Badge.hash == badge_hash(uid)))
        assert badge is not None
        registry.revoke_badge(db, badge)


def delete_member(engine: Engine, name: str) -> None:
    with central.session(engine) as db:
        member = db.scalar(select(Member).where(Member.first_name == name))
        assert member is not None
        central.tombstone(db, member)


def kill_connections(admin_url: str, database: str) -> int:
    """Terminate every other backend connected to `database` (a central outage)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(admin_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return len(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": database},
                ).all()
            )
    finally:
        engine.dispose()


class Probe:
    """A plain paho client on the test broker, standing where an agent would be."""

    def __init__(self, host: str, port: int, *topics_: str) -> None:
        import queue

        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion

        self.messages: queue.Queue[tuple[str, bytes, bool]] = queue.Queue()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{id(self)}")
        self.client.on_message = lambda _c, _u, m: self.messages.put(
            (m.topic, bytes(m.payload), bool(m.retain))
        )
        self.client.connect(host, port)
        for topic in topics_:
            self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> tuple[str, bytes, bool]:
        """The first message for which ``predicate(topic, payload)`` is true (those
        before it are dropped)."""
        import queue

        def matching() -> tuple[str, bytes, bool] | None:
            while True:
                try:
                    message = self.messages.get_nowait()
                except queue.Empty:
                    return None
                if predicate(message[0], message[1]):
                    return message

        return wait_for(matching, timeout, what="a matching message")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
