"""The one way a Station process builds its paho-mqtt client from `MqttConfig`.

paho-mqtt 2 with VERSION2 callbacks, MQTT 5 or 3.1.1 as configured, credentials,
and TLS the strict way: the server's certificate is verified against ``ca_file``
(the system's CAs when empty) and must name the host we connect to. Callbacks,
last wills and when to connect stay with each caller.
"""

from __future__ import annotations

import ssl
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from station.config.connections import MqttConfig

# paho's own reconnect backoff, for clients that let paho reconnect.
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30


def tls_context(mqtt: MqttConfig) -> ssl.SSLContext:
    """A client context: certificate verification and hostname check both on."""
    # create_default_context = PROTOCOL_TLS_CLIENT, CERT_REQUIRED, check_hostname;
    # it loads the system's CAs only when no cafile is given.
    return ssl.create_default_context(cafile=mqtt.ca_file or None)


def make_client(
    mqtt: MqttConfig, client_id: str, *, persistent: bool = False, reconnect: bool = True
) -> paho.Client:
    """A configured, unconnected client.

    ``persistent``: on 3.1.1 ask for ``clean_session=False`` (on MQTT 5 the session
    is kept by connecting with `session_connect_kwargs`). ``reconnect``: paho's loop
    reconnects with a 1 to 30 s backoff; False leaves reconnecting to the caller.
    """
    v5 = mqtt.protocol == 5
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        # MQTT 5 refuses clean_session (clean_start is given at connect instead).
        clean_session=None if v5 or not persistent else False,
        protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
        reconnect_on_failure=reconnect,
    )
    if mqtt.username:
        client.username_pw_set(mqtt.username, mqtt.password or None)
    if mqtt.tls:
        client.tls_set_context(tls_context(mqtt))
    if reconnect:
        client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
    return client


def session_connect_kwargs(mqtt: MqttConfig) -> dict[str, Any]:
    """Extra ``connect``/``connect_async`` arguments resuming a persistent session:
    on MQTT 5 ``clean_start=False`` with the configured session expiry; none on 3.1.1
    (there the client was made with ``clean_session=False``)."""
    if mqtt.protocol != 5:
        return {}
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = mqtt.session_expiry_s
    return {"clean_start": False, "properties": properties}
