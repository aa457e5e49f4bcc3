"""The broker's accounts and what each may do, derived from `station.protocol.topics`.

One account per agent (its user name is its agent id), one per kiosk
(``kiosk-<id>``), one for the sync service and one for sync's one-shot runs
(``sync-once``: the broker makes each account's user name its client id, so a
`station sync --once` under the service's account would take over the service's
session and have it disconnected). Every account is listed by name with its own
topics: there is no ``pattern`` rule, so an account that is not in the configuration
(a leftover password, a typo) may do nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from station.config import StationConfig
from station.errors import ConfigError
from station.protocol import topics

SYNC = "sync"
SYNC_ONCE = "sync-once"  # `station sync --once` beside the running service
KIOSK_PREFIX = "kiosk-"

# What an agent publishes and what it reads: the two directions of its topics.
AGENT_WRITES = (topics.EVENTS, topics.STATUS, topics.COMMAND_RESULTS)
AGENT_READS = (topics.GRANTS, topics.GRANTS_DELTA, topics.ACKS, topics.COMMANDS, topics.TIME)


class Access(StrEnum):
    """mosquitto's ACL access words."""

    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class Rule:
    access: Access
    topic: str


@dataclass(frozen=True)
class Account:
    user: str
    role: str  # said in the ACL's comment: agent, kiosk or sync
    rules: tuple[Rule, ...]


def kiosk_user(kiosk_id: str) -> str:
    return f"{KIOSK_PREFIX}{kiosk_id}"


def agent_account(site: str, agent_id: str) -> Account:
    """Only its own topics: a stolen agent can neither read another's grants or
    commands nor publish another's events or status."""
    rules = [Rule(Access.WRITE, topics.agent(site, agent_id, c)) for c in AGENT_WRITES]
    rules += [Rule(Access.READ, topics.agent(site, agent_id, c)) for c in AGENT_READS]
    return Account(agent_id, "agent", tuple(rules))


def kiosk_account(site: str, kiosk_id: str) -> Account:
    """Sends staff's commands to agents and reads their results: nothing else (the
    staff screen reads the agents' statuses from the site database, stored by sync)."""
    rules = (
        Rule(Access.WRITE, topics.all_agents(site, topics.COMMANDS)),
        Rule(Access.READ, topics.all_agents(site, topics.COMMAND_RESULTS)),
    )
    return Account(kiosk_user(kiosk_id), "kiosk", rules)


def sync_account(site: str, user: str = SYNC) -> Account:
    """Reads what every agent publishes; publishes what every agent reads. The
    one-shot account (`SYNC_ONCE`) does the same work, so it has the same rules."""
    rules = [Rule(Access.READ, topics.all_agents(site, c)) for c in AGENT_WRITES]
    rules += [Rule(Access.WRITE, topics.all_agents(site, c)) for c in AGENT_READS]
    role = "sync" if user == SYNC else "sync, one-shot runs beside the service"
    return Account(user, role, tuple(rules))


def accounts(config: StationConfig) -> tuple[Account, ...]:
    """Every account of the site, sync's first, then kiosks and agents by id."""
    site = config.site.id
    found = [sync_account(site), sync_account(site, SYNC_ONCE)]
    found += [kiosk_account(site, k) for k in sorted(config.kiosks)]
    found += [agent_account(site, a) for a in sorted(config.agents)]
    users = [a.user for a in found]
    clashes = sorted({u for u in users if users.count(u) > 1})
    if clashes:
        raise ConfigError(
            [
                f"agents.{user}: the broker account {user!r} is already sync's or a "
                f"kiosk's; expected an agent id other than '{SYNC}', '{SYNC_ONCE}' and "
                f"'kiosk-<kiosk id>'"
                for user in clashes
            ]
        )
    return tuple(found)


def render_acl(site: str, every: tuple[Account, ...]) -> str:
    lines = [
        f"# Broker ACL of site {site}, written by `station deploy broker` from the",
        "# configuration and station/protocol/topics.py: do not edit, deploy again.",
        "# Each account has only the topics listed under it (no pattern rule).",
    ]
    for account in every:
        lines += ["", f"# {account.role}", f"user {account.user}"]
        lines += [f"topic {rule.access} {rule.topic}" for rule in account.rules]
    return "\n".join(lines) + "\n"
