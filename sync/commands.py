"""Signed commands to an agent (unlock, lockdown, power-off...), for the staff screens.

The command is signed with the agent's own key (derived from the site key),
time-limited and single use (station.protocol.commands); the agent answers on its
``command_results`` topic.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from station.protocol import topics
from station.protocol.commands import DEFAULT_TTL, make_command
from station.protocol.signing import agent_key
from station.protocol.vocabulary import Command
from sync.errors import BrokerUnavailable


class Publisher(Protocol):
    """A paho ``Client`` or a `sync.bus.SyncBus`: anything with this publish.

    `qos` and `retain` are keyword-only, as `SyncBus.publish` has them; paho's
    positional-or-keyword parameters accept keywords too, so both fit.
    """

    def publish(self, topic: str, payload: bytes, *, qos: int = ..., retain: bool = ...) -> Any: ...


def send_command(
    client: Publisher,
    site: str,
    agent_id: str,
    command: Command,
    site_key: bytes,
    *,
    args: dict[str, Any] | None = None,
    issued_by: str = "",
    ttl: dt.timedelta = DEFAULT_TTL,
    now: dt.datetime | None = None,
) -> str:
    """Publish a signed command (QoS 1, not retained); returns its id.

    `BrokerUnavailable` if the client refuses the message (not connected).
    """
    command_id, payload = make_command(
        command,
        agent_id,
        agent_key(site_key, agent_id),
        args=args,
        now=now,
        ttl=ttl,
        issued_by=issued_by,
    )
    info = client.publish(
        topics.agent(site, agent_id, topics.COMMANDS), payload, qos=1, retain=False
    )
    if info is None or getattr(info, "rc", 0) != 0:
        raise BrokerUnavailable(f"command {command!r} to {agent_id} not sent: broker unreachable")
    return command_id
