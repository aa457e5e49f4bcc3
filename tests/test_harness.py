"""The shared fixtures work against the real services they promise."""

from __future__ import annotations

import queue
import socket
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from tests.support import pcsc
from tests.support.mqtt import BrokerAddress, Mosquitto
from tests.support.vcard import VirtualCard, answer_raw, answer_status

UID = bytes.fromhex("04A1B2C3D4E5F6")
GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
READER = pcsc.READERS[0]


@contextmanager
def mqtt_client(host: str, port: int) -> Iterator[tuple[mqtt.Client, queue.Queue[bytes]]]:
    received: queue.Queue[bytes] = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = lambda _c, _u, message: received.put(bytes(message.payload))
    client.connect(host, port)
    client.loop_start()
    try:
        yield client, received
    finally:
        client.disconnect()
        client.loop_stop()


def roundtrip(host: str, port: int, topic: str = "test/harness/ping") -> bytes | None:
    """Subscribe, publish at QoS 1 and return what came back (None if nothing did)."""
    with mqtt_client(host, port) as (client, received):
        result, _mid = client.subscribe(topic, qos=1)
        assert result == mqtt.MQTT_ERR_SUCCESS
        # The SUBACK may lag behind: publish until a copy comes back.
        for _ in range(50):
            client.publish(topic, b"hello", qos=1).wait_for_publish(5)
            try:
                return received.get(timeout=0.2)
            except queue.Empty:
                continue
    return None


def test_broker_delivers_a_message(mqtt_broker: BrokerAddress) -> None:
    assert roundtrip(mqtt_broker.host, mqtt_broker.port) == b"hello"


def test_private_broker_stops_and_starts_on_the_same_port(private_broker: Mosquitto) -> None:
    port = private_broker.port
    assert roundtrip(private_broker.host, port) == b"hello"
    private_broker.stop()
    assert not private_broker.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    private_broker.start()
    assert private_broker.port == port
    assert roundtrip(private_broker.host, port) == b"hello"


def read_uid(reader_name: str = READER) -> tuple[list[int], int, int]:
    """GET DATA through pyscard and pcscd, as a reader backend would."""
    from smartcard.CardConnection import CardConnection
    from smartcard.System import readers

    reader = next(r for r in readers() if str(r) == reader_name)
    connection = reader.createConnection()
    connection.connect(CardConnection.T1_protocol | CardConnection.T0_protocol)
    try:
        data, sw1, sw2 = connection.transmit(GET_UID)
        return list(data), sw1, sw2
    finally:
        connection.disconnect()
        connection.release()


def test_virtual_card_uid_is_read_through_pcscd(virtual_card: Callable[..., VirtualCard]) -> None:
    card = virtual_card(UID)
    assert not pcsc.card_present(READER)
    with card:
        assert pcsc.wait_card(READER, present=True)
        assert read_uid() == (list(UID), 0x90, 0x00)
    assert card.apdus == [bytes(GET_UID)]
    assert pcsc.wait_card(READER, present=False)


def test_second_reader_and_error_answers(virtual_card: Callable[..., VirtualCard]) -> None:
    second = pcsc.READERS[1]
    with virtual_card(UID, port=pcsc.PORTS[1], answer=answer_status(b"\x6a\x81")):
        assert pcsc.wait_card(second)
        assert read_uid(second) == ([], 0x6A, 0x81)


def test_malformed_answer_is_an_error_not_a_uid(virtual_card: Callable[..., VirtualCard]) -> None:
    from smartcard.Exceptions import CardConnectionException

    with virtual_card(UID, answer=answer_raw(b"\x90")):  # one byte: no status word
        assert pcsc.wait_card(READER)
        with pytest.raises(CardConnectionException):
            read_uid()
    with pytest.raises(ValueError):
        answer_raw(b"")


def test_restart_pcscd_brings_the_readers_back(
    restart_pcscd: Callable[[], None], virtual_card: Callable[..., VirtualCard]
) -> None:
    card = virtual_card(UID)
    card.insert()
    assert pcsc.wait_card(READER)
    restart_pcscd()
    assert pcsc.wait_card(READER, present=False)  # vpcd dropped the card with pcscd
    assert READER in pcsc.wait_readers()
    card.insert()
    assert pcsc.wait_card(READER)
    assert read_uid() == (list(UID), 0x90, 0x00)


def test_postgres_answers_and_each_test_gets_an_empty_database(pg_url: str) -> None:
    engine = create_engine(pg_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            assert connection.execute(text("select 1")).scalar_one() == 1
            assert inspect(connection).get_table_names() == []
            assert (
                connection.execute(text("select current_database()")).scalar_one()
                == engine.url.database
            )
            connection.execute(text("create table marker (id int)"))
    finally:
        engine.dispose()


def test_site_db_is_at_head(site_db: str) -> None:
    from station.db import current_revision

    assert current_revision(site_db) is not None


def test_site_session_sees_the_schema(site_session: object) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(site_session, Session)
    tables = set(inspect(site_session.connection()).get_table_names())
    assert {"alembic_version", "members", "credentials"} <= tables


def test_config_file_points_at_the_test_services(
    config_file: Path, mqtt_broker: BrokerAddress
) -> None:
    from station.config import load_config

    config = load_config(config_file)
    assert config.mqtt.port == mqtt_broker.port
    assert str(config_file.parent) in config.database.url
    assert str(config_file.parent) in config.central.url
    sample = tomllib.loads((Path(__file__).parents[1] / "config.toml").read_text())
    assert set(config.agents) == set(sample["agents"])


def test_config_factory_overrides(config_factory: Callable[..., Path]) -> None:
    from station.config import load_config

    # Without the printer, the group that named it must not name it either.
    path = config_factory(
        {
            "agents": {"printer-3d": None},
            "site": {"name": "Test"},
            "resource_groups": {"machines": ["laser-cutter"]},
        },
        name="other.toml",
    )
    config = load_config(path)
    assert config.site.name == "Test"
    assert "printer-3d" not in config.agents


def test_qt_runs_offscreen(qtbot: pytest.FixtureRequest) -> None:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QLabel

    label = QLabel("Bonjour")
    qtbot.addWidget(label)  # type: ignore[attr-defined]
    label.show()
    assert QGuiApplication.platformName() == "offscreen"
    assert not label.grab().isNull()
