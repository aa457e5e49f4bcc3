"""The log of commands: who sent what to which agent, and what the agent did with it.

Agents report every command as a ``command_applied`` or ``command_refused`` event
naming its author (`station.protocol.commands.Author`) and reason; sync stores them
as access events at the site and sends them up to central, so both databases can
answer here, with the same query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db.models import AccessEvent
from station.protocol.commands import Author
from station.protocol.vocabulary import APPLIED, EventType

COMMAND_EVENTS = (EventType.COMMAND_APPLIED.value, EventType.COMMAND_REFUSED.value)
DEFAULT_LIMIT = 200


@dataclass(frozen=True, slots=True)
class LoggedCommand:
    """One command as its agent reported it. ``author`` is None when the agent could
    trust no author (a forged or malformed command, or an event older than authors)."""

    at: dt.datetime
    site: str
    agent: str
    command: str | None  # None: refused before it could be read
    outcome: str  # "applied" or the refusal
    detail: str
    author: Author | None
    why: str  # the author's reason, "" when none was given
    command_id: str | None

    @property
    def applied(self) -> bool:
        return self.outcome == APPLIED


def command_log(
    session: Session,
    *,
    site: str | None,
    agent: str | None = None,
    since: dt.datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[LoggedCommand]:
    """The last `limit` commands (of `site`, None: every site, as at central; of
    `agent` if given; from `since` on), oldest first."""
    query = select(AccessEvent).where(AccessEvent.type.in_(COMMAND_EVENTS))
    if site is not None:
        query = query.where(AccessEvent.site_id == site)
    if agent is not None:
        query = query.where(AccessEvent.agent_id == agent)
    if since is not None:
        query = query.where(AccessEvent.at >= since)
    query = query.order_by(AccessEvent.at.desc(), AccessEvent.id.desc()).limit(limit)
    return [logged(event) for event in reversed(session.scalars(query).all())]


def last_commands(
    session: Session, site: str, agents: Iterable[str], per_agent: int = 1
) -> dict[str, list[LoggedCommand]]:
    """The last `per_agent` commands of each of `agents`, newest first (the staff screen)."""
    last: dict[str, list[LoggedCommand]] = {}
    for agent in agents:
        query = (
            select(AccessEvent)
            .where(
                AccessEvent.site_id == site,
                AccessEvent.agent_id == agent,
                AccessEvent.type.in_(COMMAND_EVENTS),
            )
            .order_by(AccessEvent.at.desc(), AccessEvent.id.desc())
            .limit(per_agent)
        )
        last[agent] = [logged(event) for event in session.scalars(query)]
    return last


def logged(event: AccessEvent) -> LoggedCommand:
    """An access event of a command, read leniently: its data came from an agent."""
    data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
    applied = event.type == EventType.COMMAND_APPLIED
    return LoggedCommand(
        at=event.at,
        site=event.site_id,
        agent=event.agent_id,
        command=_text(data.get("command")),
        outcome=APPLIED if applied else (event.reason or "refused"),
        detail=_text(data.get("detail")) or "",
        author=_author(data.get("author")),
        why=_text(data.get("reason")) or "",
        command_id=_text(data.get("command_id")),
    )


def _author(value: object) -> Author | None:
    try:
        return Author.decode(value)
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
