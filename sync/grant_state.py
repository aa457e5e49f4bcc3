"""Whether an agent holds exactly the grants sync meant it to: its status's version and
digest (`station.protocol.grant_digest`, computed by its store) against the snapshot
sync compiled last for it."""

from __future__ import annotations

from station.protocol.status import AgentStatusMessage
from station.protocol.vocabulary import GrantState, StatusField
from sync.compiler import Snapshot


def grant_state(expected: Snapshot | None, status: AgentStatusMessage) -> GrantState:
    if expected is None:
        return GrantState.UNKNOWN
    held = status.grants_version
    if held < expected.version:
        return GrantState.BEHIND
    if held > expected.version:  # e.g. the site database restored: sync goes past it
        return GrantState.DIVERGED
    digest = status.fields.get(StatusField.GRANTS_DIGEST)
    if digest is None or not expected.grants_digest:
        return GrantState.UNKNOWN  # an agent from before digests
    return GrantState.IN_STEP if digest == expected.grants_digest else GrantState.DIVERGED
