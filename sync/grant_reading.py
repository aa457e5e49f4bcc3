"""A whole reading of the registry for the grant compiler, safe to make in a thread.

At 150,000 badges reading every holder and computing each agent's entries and digest
takes seconds; the sync loop must not spend them while a revocation waits. So the
reading touches no state of the compiler: it returns everything it found, with the
fingerprint taken *before* its rows (`sync.grant_cache.fingerprint`), and the loop
brings it up to date (`GrantCompiler.adopt`: the members whose rows changed since
that fingerprint are read again, as for a delta) before it takes it as the truth.
Rows that changed while it was being read are thus read twice, never missed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from station.access import credential_facts, resource_facts
from station.config import StationConfig
from station.keystore import KeyStore
from station.rules import ResourceFacts
from sync.audience import Audiences
from sync.grant_cache import HolderCache, fingerprint


@dataclass(frozen=True)
class AgentReading:
    resource: ResourceFacts
    entries: Mapping[str, Mapping[str, Any]]
    grants_digest: str


@dataclass(frozen=True)
class WholeReading:
    marker: tuple[Any, ...]  # the fingerprint and key marker taken before the rows
    cache: HolderCache
    agents: Mapping[str, AgentReading]
    badges: int  # every live badge of the registry, for the log
    started: float  # the compiler's clock when the reading began


def read_whole(
    config: StationConfig, keys: KeyStore, site_engine: Engine, now: dt.datetime, started: float
) -> WholeReading:
    """Every holder, and each agent's entries and digest, from the site database."""
    with Session(site_engine) as session:
        connection = session.connection()
        marker = (*fingerprint(connection), keys.marker(now))
        holders = list(credential_facts(connection, plan_of=config.plan_of))
        resources = {
            agent_id: resource_facts(session, config, agent.resource)
            for agent_id, agent in config.agents.items()
        }
    audiences = Audiences(holders)
    agents = {
        agent_id: AgentReading(
            resource, audiences.entries(resource), audiences.grants_digest(resource)
        )
        for agent_id, resource in resources.items()
    }
    return WholeReading(marker, HolderCache(holders, marker), agents, audiences.badges, started)
