"""Which keys this agent accepts: its trust anchor (the site's public keys, from its
bundle) until it holds a grant snapshot, then only what that snapshot announces.

The anchor is not consulted again once a snapshot is held: a site key retired by a
rotation is dropped from the snapshots after its overlap, and an anchor file on the
agent, never updated, must not bring it back (docs/security.md, "Key rotation").
"""

from __future__ import annotations

from door_agent.store import AgentStore
from station.protocol.keys import Keyring


class AgentTrust:
    def __init__(self, anchor: Keyring, store: AgentStore) -> None:
        self.anchor = anchor
        self.store = store

    def site_keys(self) -> Keyring:
        """The keys that may sign this agent's snapshots and time beacons."""
        held = self.store.trust
        return self.anchor if held is None else held.site

    def issuers(self) -> Keyring:
        """The keys whose commands this agent accepts; before its first snapshot, the
        site's alone (the console and the site server's command line, not a kiosk)."""
        held = self.store.trust
        return self.anchor if held is None else held.issuers
