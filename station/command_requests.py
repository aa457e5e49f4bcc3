"""Commands from the office, at central: the console writes a request for one resource
of a site; the site's sync carries it out (sync.commands) and writes back what came
of it. A request lives for a minute: a site offline then never runs it hours later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from station.db.command_requests import CommandRequest, RequestState
from station.db.live import select_live
from station.db.models import Resource, ResourceKind
from station.protocol.vocabulary import Command

DEFAULT_TTL = dt.timedelta(seconds=60)
MAX_HOLD = dt.timedelta(hours=24)  # what an agent accepts of hold_open (door_agent.door)
RECENT = 20
UTC = ZoneInfo("UTC")

DOOR_COMMANDS = (Command.UNLOCK_ONCE, Command.HOLD_OPEN, Command.LOCKDOWN, Command.RELEASE)
MACHINE_COMMANDS = (Command.END_SESSION, Command.BLOCK, Command.UNBLOCK, Command.CLEAR_CHECK)
BY_KIND = {ResourceKind.DOOR: DOOR_COMMANDS, ResourceKind.MACHINE: MACHINE_COMMANDS}
# What the console writes when the site never took a request: it is offline (or its
# sync is down), and the request is dead rather than run late.
NOT_PICKED_UP = "not picked up by the site before it expired"


@dataclass
class RequestRefused(ValueError):
    """A request that cannot be written: ``field`` (resource, command, until) and why."""

    field: str
    detail: str

    def __str__(self) -> str:
        return f"{self.field}: {self.detail}"


def commands_for(kind: ResourceKind) -> tuple[Command, ...]:
    """The commands the console offers for a resource of this kind."""
    return BY_KIND.get(kind, ())


def site_resource(db: Session, site_id: str, code: str) -> Resource | None:
    return db.scalar(
        select_live(Resource).where(Resource.site_id == site_id, Resource.code == code)
    )


def request_command(
    db: Session,
    *,
    site_id: str,
    resource: str,
    command: str,
    author: str,
    now: dt.datetime,
    until: str = "",
    zone: ZoneInfo = UTC,
    ttl: dt.timedelta = DEFAULT_TTL,
) -> CommandRequest:
    """A pending request of `author` (an email) for `resource` of `site_id`;
    `RequestRefused` when the resource, the command or `until` (hold_open: a local
    date and time in `zone`, as a datetime-local field sends it) does not fit."""
    found = site_resource(db, site_id, resource)
    if found is None:
        raise RequestRefused("resource", f"no resource {resource!r:.70} at site {site_id!r:.70}")
    if command not in {c.value for c in commands_for(found.kind)}:
        raise RequestRefused("command", f"{command!r:.30} is not a command of a {found.kind}")
    chosen = Command(command)
    args: dict[str, Any] = {}
    if chosen is Command.HOLD_OPEN:
        args["until"] = _until(until, now, zone).isoformat()
    row = CommandRequest(
        site_id=site_id,
        resource=found.code,
        command=chosen,
        args=args,
        author=author[:254],
        requested_at=now,
        expires_at=now + ttl,
        state=RequestState.PENDING,
        result="",
    )
    db.add(row)
    db.flush()
    return row


def _until(text: str, now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise RequestRefused("until", "a date and time is needed (YYYY-MM-DDTHH:MM)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    moment = moment.astimezone(dt.UTC)
    if not now < moment <= now + MAX_HOLD:
        raise RequestRefused("until", "the door is held open until a time within 24 hours")
    return moment


def expire_overdue(db: Session, site_id: str, now: dt.datetime) -> int:
    """Mark `site_id`'s requests that no site took before they expired; how many.
    Conditional on the state, so a site claiming one at the same moment wins or loses
    as a whole, never both."""
    changed = db.execute(
        update(CommandRequest)
        .where(
            CommandRequest.site_id == site_id,
            CommandRequest.state == RequestState.PENDING,
            CommandRequest.expires_at <= now,
        )
        .values(state=RequestState.EXPIRED, result=NOT_PICKED_UP, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(changed, "rowcount", 0) or 0)


def recent(
    db: Session, site_id: str, now: dt.datetime | None = None, limit: int = RECENT
) -> list[CommandRequest]:
    """The site's last requests, newest first. Given `now`, a pending one past its
    expiry is shown expired, as `expire_overdue` will write it (for a reader that
    writes nothing, as the live page's stream)."""
    rows = list(
        db.scalars(
            select(CommandRequest)
            .where(CommandRequest.site_id == site_id)
            .order_by(CommandRequest.requested_at.desc(), CommandRequest.id.desc())
            .limit(limit)
        )
    )
    for row in rows:
        if now is not None and row.state is RequestState.PENDING and row.expires_at <= now:
            db.expunge(row)  # shown so, never flushed from here
            row.state, row.result, row.finished_at = RequestState.EXPIRED, NOT_PICKED_UP, now
    return rows
