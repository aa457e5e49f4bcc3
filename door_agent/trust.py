"""Which keys this agent accepts: its trust anchor (the site's public keys, from its
bundle) until it holds a grant snapshot, then what that snapshot announces.

Once a snapshot is held the anchor serves again only when it names a key the snapshot
does not (its bundle was deployed again after the site key was rotated with no
overlap, a compromised key): then the anchor's keys alone, less any the snapshot
names as ended. An anchor never updated, still naming a retired key, cannot bring it
back, and a compromised key stays trusted only until the new `site.pub` is deployed
(docs/security.md, "Key rotation").
"""

from __future__ import annotations

import datetime as dt

from door_agent.store import AgentStore
from station.protocol.keys import Keyring


class AgentTrust:
    def __init__(self, anchor: Keyring, store: AgentStore) -> None:
        self.anchor = anchor
        self.store = store

    def site_keys(self, now: dt.datetime) -> Keyring:
        """The keys that may sign this agent's snapshots and time beacons."""
        held = self.store.trust
        if held is None:
            return self.anchor
        if all(trusted.key_id in held.site for trusted in self.anchor):
            return held.site
        ended = {t.key_id for t in held.site if t.not_after is not None and t.not_after <= now}
        return Keyring([t for t in self.anchor if t.key_id not in ended])

    def issuers(self) -> Keyring:
        """The keys whose commands this agent accepts; before its first snapshot, the
        site's alone (the console and the site server's command line, not a kiosk)."""
        held = self.store.trust
        return self.anchor if held is None else held.issuers
