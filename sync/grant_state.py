"""Whether an agent holds exactly the grants sync meant it to (`station.grant_state`),
from sync's own memory: the snapshot it compiled last for the agent."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from station.db import AgentStatus
from station.grant_state import grant_state as compare
from station.protocol.status import AgentStatusMessage
from station.protocol.vocabulary import GrantState
from sync.compiler import Snapshot


def grant_state(expected: Snapshot | None, status: AgentStatusMessage) -> GrantState:
    if expected is None:
        return GrantState.UNKNOWN
    return compare(expected.version, expected.grants_digest, status.grants_version, status.fields)


def record_published(session: Session, snapshots: Iterable[Snapshot]) -> None:
    """Write down what each agent was just sent, for the views that have not sync's
    memory (`station.grant_state`); the agent's own columns are its status's."""
    for snapshot in snapshots:
        row = session.get(AgentStatus, snapshot.agent_id)
        if row is None:
            row = AgentStatus(agent_id=snapshot.agent_id)
            session.add(row)
        row.expected_version = snapshot.version
        row.expected_digest = snapshot.grants_digest
