"""Every MQTT topic name, in one place.

Layout: ``station/<site>/<role>s/<id>/<channel>``. Ids are config slugs, so they
never contain ``/``, ``+`` or ``#`` and can be used in broker ACL patterns.
"""

from __future__ import annotations

ROOT = "station"

STATUS = "status"  # retained, with a last will saying offline
GRANTS = "grants"  # retained signed snapshot, site -> agent
GRANTS_DELTA = "grants_delta"  # site -> agent, QoS 1, not retained: a change since a version
EVENTS = "events"  # agent -> site, QoS 1, until acknowledged
ACKS = "acks"  # site -> agent: event ids stored for good
COMMANDS = "commands"  # site -> agent, signed, single use
COMMAND_RESULTS = "command_results"  # agent -> site
TIME = "time"  # site -> agent, signed time beacon: the agent checks its clock against it


def agent(site: str, agent_id: str, channel: str) -> str:
    return f"{ROOT}/{site}/agents/{agent_id}/{channel}"


def all_agents(site: str, channel: str) -> str:
    """Subscription pattern for one channel of every agent of a site."""
    return f"{ROOT}/{site}/agents/+/{channel}"


def kiosk(site: str, kiosk_id: str, channel: str) -> str:
    return f"{ROOT}/{site}/kiosks/{kiosk_id}/{channel}"


def parse_agent_topic(topic: str) -> tuple[str, str, str] | None:
    """(site, agent id, channel) of an agent topic, or None for anything else."""
    parts = topic.split("/")
    if len(parts) != 5 or parts[0] != ROOT or parts[2] != "agents":
        return None
    return parts[1], parts[3], parts[4]
