"""Whether an agent holds exactly the grants sync meant it to, for the staff views.

Sync records, in `agent_status`, the version and digest (`station.protocol.grant_digest`)
it last published to each agent (`expected_version`, `expected_digest`); the agent
reports the version it applied and the digest its store computes. The kiosk's staff
mode and the console (through the site's live upload) compare the two here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from station.db import AgentStatus
from station.protocol.vocabulary import GrantState, StatusField


def grant_state(
    expected_version: int, expected_digest: str, held_version: int, status: Mapping[Any, Any]
) -> GrantState:
    """`status`: the agent's status fields, whose `grants_digest` is what it holds."""
    digest = status.get(StatusField.GRANTS_DIGEST)
    held_digest = digest if isinstance(digest, str) else None
    if expected_version <= 0:
        return GrantState.UNKNOWN  # sync has published nothing to it yet
    if held_version < expected_version:
        return GrantState.BEHIND
    if held_version > expected_version:  # e.g. the site database restored: sync goes past it
        return GrantState.DIVERGED
    if held_digest is None or not expected_digest:
        return GrantState.UNKNOWN  # an agent from before digests
    return GrantState.IN_STEP if held_digest == expected_digest else GrantState.DIVERGED


def stored_grant_state(row: AgentStatus | None) -> GrantState:
    """The state of an agent's `agent_status` row (None: never heard of)."""
    if row is None:
        return GrantState.UNKNOWN
    return grant_state(row.expected_version, row.expected_digest, row.grants_version, row.status)
