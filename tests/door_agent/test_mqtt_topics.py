"""The agent's MQTT link takes only its own site's and its own topics (door_agent/mqtt.py)."""

from __future__ import annotations

import paho.mqtt.client as paho
import pytest

from door_agent.inbox import MqttMessage
from door_agent.mqtt import MqttLink
from station.config import MqttConfig
from station.protocol import topics


def _delivered(link: MqttLink, posted: list[object], topic: str) -> list[object]:
    message = paho.MQTTMessage(topic=topic.encode())
    message.payload = b'{"ids": []}'
    posted.clear()
    link._on_message(paho.Client(paho.CallbackAPIVersion.VERSION2), None, message)
    return list(posted)


@pytest.mark.parametrize(
    ("site", "agent", "channel", "taken"),
    [
        ("gare", "front-door", topics.ACKS, True),
        ("other-site", "front-door", topics.ACKS, False),  # a namesake's acks elsewhere
        ("other-site", "front-door", topics.GRANTS, False),
        ("gare", "laser-cutter", topics.ACKS, False),
        ("gare", "front-door", topics.EVENTS, False),  # what it sends, never takes
    ],
)
def test_only_its_own_topics_reach_the_loop(
    site: str, agent: str, channel: str, taken: bool
) -> None:
    posted: list[object] = []
    link = MqttLink(MqttConfig(), "gare", "front-door", posted.append, will=lambda: b"")
    delivered = _delivered(link, posted, topics.agent(site, agent, channel))
    if taken:
        assert len(delivered) == 1 and isinstance(delivered[0], MqttMessage)
        assert delivered[0].channel == channel
    else:
        assert delivered == []
