"""station.protocol.client against a real mosquitto with TLS and a password file: the
certificate and host name are checked, the credentials are sent."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest

from station.config.connections import MqttConfig
from station.protocol.client import make_client, session_connect_kwargs
from tests.support.mqtt import Mosquitto
from tests.support.net import free_port, wait_listening
from tests.support.tls import make_certificates

TIMEOUT = 10.0
pytestmark = [
    pytest.mark.mqtt,
    pytest.mark.skipif(not shutil.which("openssl"), reason="needs openssl"),
]


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A broker with a TLS listener and one account; yields (TLS port, CA file)."""
    make_certificates(tmp_path)
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(tmp_path / "passwd"), "door", "pw"],
        check=True,
        capture_output=True,
    )
    port = free_port()
    extra = (
        f"allow_anonymous false\npassword_file {tmp_path / 'passwd'}\n"
        f"listener {port} 127.0.0.1\ncafile {tmp_path / 'ca.crt'}\n"
        f"certfile {tmp_path / 'server.crt'}\nkeyfile {tmp_path / 'server.key'}\n"
    )
    with Mosquitto(tmp_path / "broker", extra_config=extra):
        assert wait_listening(port)
        yield port, tmp_path / "ca.crt"


def _connect(config: MqttConfig) -> Any:
    """Connect a client made from ``config``; the broker's CONNACK reason code."""
    client = make_client(config, "test-client", persistent=True, reconnect=False)
    answered = threading.Event()
    reasons: list[Any] = []

    def on_connect(_c: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        reasons.append(reason)
        answered.set()

    client.on_connect = on_connect
    client.connect(config.host, config.port, config.keepalive_s, **session_connect_kwargs(config))
    client.loop_start()
    try:
        assert answered.wait(TIMEOUT), "no CONNACK"
        return reasons[0]
    finally:
        client.disconnect()
        client.loop_stop()


@pytest.mark.parametrize("protocol", [5, 311])
def test_tls_with_the_ca_file_and_credentials_connects(
    tls_broker: tuple[int, Path], protocol: int
) -> None:
    port, ca_file = tls_broker
    config = MqttConfig(
        port=port, tls=True, ca_file=str(ca_file), username="door", password="pw", protocol=protocol
    )
    context = make_client(config, "x")._ssl_context  # what paho will wrap the socket with
    assert context is not None and context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    cas = context.get_ca_certs()  # ca_file only, not the system's
    assert len(cas) == 1 and "test-ca" in str(cas[0]["subject"])
    assert not _connect(config).is_failure


def test_credentials_are_sent(tls_broker: tuple[int, Path]) -> None:
    port, ca_file = tls_broker
    config = MqttConfig(
        port=port, tls=True, ca_file=str(ca_file), username="door", password="wrong"
    )
    assert _connect(config).is_failure  # refused: the broker saw the (wrong) password


def test_a_certificate_for_another_host_is_refused(tls_broker: tuple[int, Path]) -> None:
    port, ca_file = tls_broker
    # Same server, but reached as "localhost": its certificate names only 127.0.0.1.
    config = MqttConfig(
        host="localhost", port=port, tls=True, ca_file=str(ca_file), username="door", password="pw"
    )
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        _connect(config)


def test_an_unknown_ca_is_refused(tls_broker: tuple[int, Path]) -> None:
    port, _ = tls_broker
    config = MqttConfig(port=port, tls=True, username="door", password="pw")  # system CAs
    with pytest.raises(ssl.SSLCertVerificationError):
        _connect(config)


def test_session_arguments_follow_the_protocol() -> None:
    v5 = session_connect_kwargs(MqttConfig(protocol=5, session_expiry_s=600))
    assert v5["clean_start"] is False and v5["properties"].SessionExpiryInterval == 600
    assert session_connect_kwargs(MqttConfig(protocol=311)) == {}
    assert make_client(MqttConfig(protocol=311), "p", persistent=True)._clean_session is False
    assert make_client(MqttConfig(protocol=311), "k")._clean_session is True
