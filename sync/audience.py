"""Who an agent's snapshot names: the people it may ever grant, and staff.

An agent receives the entries of the holders whom `station.rules.decide` could grant
at its resource on some day, at some hour, from the facts as they stand: for a
machine, those who hold (or held: an expired training still names
`training_expired`) every training it requires; for any resource, those with a
membership (current, past or future: the agent's own day decides, and a lapsed one
names `no_valid_membership`) of a plan that has a window there, or of any plan when
the site declares none. Staff are always named, trained or not, so that a staff
member's refusal says `training_missing`, never `unknown_badge` (a handful of entries).
A holder's revoked badges go with the active ones, so `badge_revoked` is named.

Everyone else is absent: the agent refuses them as `unknown_badge`, which is what
they are to it; the kiosk, deciding on the site database, tells them why. The rule
depends only on the database, never on the date, so the site's digest of what an
agent should hold changes only when the database does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from station.access import Holder
from station.protocol.grant_digest import digest_of
from station.protocol.grants import entry_to_json, resource_to_json
from station.protocol.signing import canonical
from station.rules import CredentialFacts, ResourceFacts

AudienceKey = tuple[tuple[str, ...], frozenset[str] | None]
_Chosen = tuple[dict[str, dict[str, Any]], str]  # entries, grants digest


def may_hold(facts: CredentialFacts, resource: ResourceFacts) -> bool:
    """Whether an agent of `resource` receives this holder's entries."""
    if facts.staff:
        return True
    if any(code not in facts.trainings for code in resource.required_trainings):
        return False
    if resource.plan_windows is None:
        return bool(facts.memberships)
    return any(span.plan in resource.plan_windows for span in facts.memberships)


def audience_key(resource: ResourceFacts) -> AudienceKey:
    """What `may_hold` reads of a resource: agents with the same key get the same entries."""
    windows = resource.plan_windows
    return tuple(sorted(resource.required_trainings)), None if windows is None else frozenset(
        windows
    )


class Audiences:
    """The registry's holders compiled once, each agent's entries selected from them
    (and their digest computed) once per distinct `audience_key`."""

    def __init__(self, holders: Iterable[Holder]) -> None:
        self._holders = [(h.facts, entry_to_json(h.facts, h.member_id), h.badges) for h in holders]
        self._chosen: dict[AudienceKey, _Chosen] = {}

    @property
    def badges(self) -> int:
        """Every live badge of the registry (what an agent received before audiences)."""
        return sum(len(badges) for _facts, _entry, badges in self._holders)

    def entries(self, resource: ResourceFacts) -> dict[str, dict[str, Any]]:
        """{badge hash: entry} for the holders an agent of `resource` receives."""
        return self._select(resource)[0]

    def grants_digest(self, resource: ResourceFacts) -> str:
        """The digest of those entries the agent computes too (`grant_digest`)."""
        return self._select(resource)[1]

    def _select(self, resource: ResourceFacts) -> _Chosen:
        key = audience_key(resource)
        if key not in self._chosen:
            entries = {
                badge_hash: entry
                for facts, entry, badges in self._holders
                if may_hold(facts, resource)
                for badge_hash in badges
            }
            self._chosen[key] = entries, digest_of(entries)
        return self._chosen[key]


def version_digest(grants_digest: str, salt: bytes, resource: ResourceFacts) -> int:
    """What versions follow (`sync.compiler`): the agent's entries (by their digest), the
    trust list (`salt`) and the resource's facts; 56 bits, as `sync_cursors` keeps it."""
    inner = hashlib.sha256(grants_digest.encode() + salt).digest()
    return int.from_bytes(
        hashlib.sha256(inner + canonical(resource_to_json(resource))).digest()[:7]
    )
