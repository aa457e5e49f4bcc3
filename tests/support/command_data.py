"""Commands from the office as central holds them, for the screenshots: the site's doors
and machine in the registry, and three requests (one done, one refused by the agent,
one that the site never took before it expired)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from station.db import Resource, ResourceKind
from station.db.command_requests import CommandRequest, RequestState
from station.protocol.vocabulary import Command

RESOURCES = (
    ("front-door", ResourceKind.DOOR, "Porte d'entrée"),
    ("fablab-door", ResourceKind.DOOR, "Porte du fablab"),
    ("laser-cutter", ResourceKind.MACHINE, "Découpeuse laser"),
)


def seed_commands(db: Session, site: str, now: dt.datetime, author: str) -> None:
    for code, kind, name in RESOURCES:
        db.add(Resource(site_id=site, code=code, kind=kind, name=name))
    asked = [
        (Command.UNLOCK_ONCE, "front-door", {}, RequestState.DONE, "applied", 40),
        (
            Command.HOLD_OPEN,
            "fablab-door",
            {"until": (now + dt.timedelta(hours=3)).isoformat()},
            RequestState.FAILED,
            "lockdown: the door is in lockdown: release it first",
            25,
        ),
        (Command.BLOCK, "laser-cutter", {}, RequestState.EXPIRED, "", 10),
    ]
    for command, code, args, state, result, minutes in asked:
        at = now - dt.timedelta(minutes=minutes)
        db.add(
            CommandRequest(
                site_id=site,
                resource=code,
                command=command,
                args=args,
                author=author,
                requested_at=at,
                expires_at=at + dt.timedelta(seconds=60),
                state=state,
                result=result,
                finished_at=at + dt.timedelta(seconds=1),
            )
        )
    db.flush()
