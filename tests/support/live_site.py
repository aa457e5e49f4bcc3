"""A site as central hears of it, for the live page's tests and screenshots: its link
(heard a minute before `now`), a front door, a fablab door in alarm, a laser cutter in
use, and someone checked in. Written straight at central, as the site's sync
(sync.live_up) and the upload of visits would."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from station import registry
from station.db import Visit
from station.db.site_live import SiteAgent, SiteLink
from station.protocol.vocabulary import (
    AgentKind,
    DoorMode,
    DoorState,
    EventType,
    GrantState,
    MachineState,
    ReaderHealth,
    StatusField,
)
from station.site_live import alarms_of


@dataclass(frozen=True)
class LiveSeed:
    site: str
    visit: uuid.UUID  # the open visit of `member`
    member: uuid.UUID
    machine_user: uuid.UUID


def door(*, relay: bool = False, door: DoorState = DoorState.CLOSED, **more: Any) -> dict[str, Any]:
    return {
        StatusField.ONLINE: True,
        StatusField.KIND: AgentKind.DOOR,
        StatusField.MODE: DoorMode.NORMAL,
        StatusField.RELAY: relay,
        StatusField.DOOR: door,
        StatusField.ALARMS: [],
        StatusField.READER: ReaderHealth.OK,
        **more,
    }


def seed_live(sessions: sessionmaker[Session], now: dt.datetime, site: str = "gare") -> LiveSeed:
    with sessions() as db, db.begin():
        alice = registry.add_member(db, "Alice", "Présente", today=now.date())
        bruno = registry.add_member(db, "Bruno", "Laser", today=now.date())
        db.flush()
        visit = Visit(
            member_id=alice.id,
            kiosk_id="entree",
            purpose="coworking",
            space="coworking",
            checked_in_at=now - dt.timedelta(hours=1),
            site_id=site,
            uploaded_at=now,
        )
        db.add(visit)
        seed_agents(db, site, now, machine_user=bruno.id)
        db.flush()
        return LiveSeed(site, visit.id, alice.id, bruno.id)


def seed_agents(
    db: Session,
    site: str,
    now: dt.datetime,
    *,
    machine_user: uuid.UUID | None = None,
    grants: dict[str, GrantState] | None = None,
) -> None:
    """The site's link (heard a minute ago) and its three agents (no person added);
    `grants`: their grants states (else unknown, as before the site says)."""
    db.add(SiteLink(site_id=site, name="La Gare", heard_at=now - dt.timedelta(minutes=1)))
    machine: dict[str, Any] = {
        StatusField.ONLINE: True,
        StatusField.KIND: AgentKind.MACHINE,
        StatusField.MODE: MachineState.IN_USE if machine_user else MachineState.FREE,
        StatusField.RELAY: machine_user is not None,
        StatusField.BUSY: machine_user is not None,
        StatusField.SESSION_MEMBER: str(machine_user) if machine_user else None,
        StatusField.ALARMS: [],
    }
    agents = [
        ("front-door", "Porte d'entrée", AgentKind.DOOR, door()),
        (
            "fablab-door",
            "Porte du fablab",
            AgentKind.DOOR,
            door(door=DoorState.OPEN, alarms=[EventType.DOOR_HELD_OPEN]),
        ),
        ("laser-cutter", "Découpeuse laser", AgentKind.MACHINE, machine),
    ]
    db.flush()
    for agent_id, name, kind, status in agents:
        state = (grants or {}).get(agent_id, GrantState.UNKNOWN)
        put_agent(db, site, agent_id, status, now, name=name, kind=kind, grants=state)
    # put_agent marks each as just heard; the link keeps its own minute.
    db.execute(
        update(SiteLink)
        .where(SiteLink.site_id == site)
        .values(heard_at=now - dt.timedelta(minutes=1))
    )


def put_agent(
    db: Session,
    site: str,
    agent_id: str,
    status: dict[str, Any],
    now: dt.datetime,
    *,
    name: str = "",
    kind: AgentKind = AgentKind.DOOR,
    grants: GrantState = GrantState.UNKNOWN,
) -> None:
    """An agent's status as the site's sync writes it, the site's version bumped."""
    body = {str(k): v for k, v in status.items()}
    online = bool(body.get(StatusField.ONLINE))
    row = db.get(SiteAgent, (site, agent_id))
    if row is None:
        row = SiteAgent(site_id=site, agent_id=agent_id, name=name or agent_id, kind=kind)
        row.resource = agent_id
        db.add(row)
    row.online, row.status, row.seen_at = online, body, now
    row.alarms = [str(a) for a in alarms_of(body, online)]
    row.grants_state = grants.value
    db.execute(
        update(SiteLink)
        .where(SiteLink.site_id == site)
        .values(version=SiteLink.version + 1, heard_at=now)
    )
