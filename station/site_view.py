"""A site as central last heard of it, for the console's live page and site list: who
is in (the open visits the site sent up), its doors and machines with their last
status and alarms (`station.db.site_live`), and the check-outs asked from the office.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from station.db import Member, ResourceKind, Visit
from station.db.site_live import CheckoutRequest, CheckoutState, SiteAgent, SiteLink
from station.errors import NotFound
from station.protocol.vocabulary import AgentKind, GrantState, StatusField
from station.site_live import Alarm, site_online

CHECKOUT_TTL = dt.timedelta(minutes=10)  # a site back later does not check anyone out
MAX_PRESENT = 500  # a page of who is in, earliest first


@dataclass(frozen=True)
class LiveResource:
    """A door or a machine and its agent's last status (`code` is the resource's)."""

    agent_id: str
    name: str
    kind: ResourceKind  # DOOR or MACHINE (what the command buttons read)
    code: str
    online: bool  # as last heard: the agent said so and the site is online
    mode: str
    relay: bool | None
    door: str
    busy: bool | None
    session_member: str  # a machine's current user, by name ("" if none)
    seen_at: dt.datetime | None
    alarms: tuple[Alarm, ...]
    grants: GrantState = GrantState.UNKNOWN  # station.grant_state, as the site last saw it

    @property
    def element_id(self) -> str:
        return f"agent-{self.agent_id}"


@dataclass(frozen=True)
class Present:
    visit_id: uuid.UUID
    member_id: uuid.UUID | None
    name: str
    purpose: str
    since: dt.datetime
    checkout_asked: bool


@dataclass(frozen=True)
class LiveSite:
    site_id: str
    name: str
    heard_at: dt.datetime | None
    online: bool
    version: int
    doors: list[LiveResource]
    machines: list[LiveResource]
    present: list[Present]


@dataclass(frozen=True)
class SiteSummary:
    site_id: str
    name: str
    heard_at: dt.datetime | None
    online: bool
    alarms: int  # agents with an alarm
    in_now: int


def live_key(db: Session, site_id: str, now: dt.datetime) -> tuple[int, bool]:
    """What the live stream polls: the site's version and whether it is online."""
    link = db.get(SiteLink, site_id)
    if link is None:
        return (0, False)
    return (link.version, site_online(link.heard_at, link.poll_s, now))


def site_zone(db: Session, site_id: str, fallback: ZoneInfo) -> ZoneInfo:
    """The site's time zone as its heartbeat says it, else `fallback` (never heard,
    or a zone this machine does not know)."""
    link = db.get(SiteLink, site_id)
    if link is None or not link.timezone:
        return fallback
    try:
        return ZoneInfo(link.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def live_site(db: Session, site_id: str, now: dt.datetime) -> LiveSite:
    link = db.get(SiteLink, site_id)
    online = link is not None and site_online(link.heard_at, link.poll_s, now)
    agents = db.scalars(
        select(SiteAgent).where(SiteAgent.site_id == site_id).order_by(SiteAgent.name)
    ).all()
    users = _names(db, {str(a.status.get(StatusField.SESSION_MEMBER) or "") for a in agents})
    resources = [_resource(agent, online, users) for agent in agents]
    return LiveSite(
        site_id=site_id,
        name=link.name if link is not None and link.name else site_id,
        heard_at=link.heard_at if link is not None else None,
        online=online,
        version=link.version if link is not None else 0,
        doors=[r for r in resources if r.kind is ResourceKind.DOOR],
        machines=[r for r in resources if r.kind is ResourceKind.MACHINE],
        present=present(db, site_id),
    )


def present(db: Session, site_id: str) -> list[Present]:
    """The site's open visits as central holds them, with any check-out asked."""
    asked = set(
        db.scalars(
            select(CheckoutRequest.visit_id).where(
                CheckoutRequest.site_id == site_id,
                CheckoutRequest.state == CheckoutState.PENDING,
            )
        )
    )
    rows = db.execute(
        select(Visit, Member)
        .outerjoin(Member, Member.id == Visit.member_id)
        .where(Visit.site_id == site_id, Visit.checked_out_at.is_(None))
        .order_by(Visit.checked_in_at)
        .limit(MAX_PRESENT)
    ).all()
    return [
        Present(
            visit.id,
            visit.member_id,
            member.display_name if member is not None else "",
            visit.purpose,
            visit.checked_in_at,
            visit.id in asked,
        )
        for visit, member in rows
    ]


def site_list(db: Session, now: dt.datetime) -> list[SiteSummary]:
    """Every site that ever uploaded its status, with its state now."""
    alarmed: dict[str, int] = {}
    for site_id, alarms in db.execute(select(SiteAgent.site_id, SiteAgent.alarms)):
        alarmed[site_id] = alarmed.get(site_id, 0) + (1 if alarms else 0)
    in_now: dict[str, int] = {
        site_id: int(count)
        for site_id, count in db.execute(
            select(Visit.site_id, func.count())
            .where(Visit.checked_out_at.is_(None))
            .group_by(Visit.site_id)
        )
    }
    return [
        SiteSummary(
            link.site_id,
            link.name or link.site_id,
            link.heard_at,
            site_online(link.heard_at, link.poll_s, now),
            alarmed.get(link.site_id, 0),
            in_now.get(link.site_id, 0),
        )
        for link in db.scalars(select(SiteLink).order_by(SiteLink.site_id))
    ]


def ask_checkout(
    db: Session, site_id: str, visit_id: uuid.UUID, author: str, now: dt.datetime
) -> CheckoutRequest:
    """Ask `site_id` to check the visit out (its sync carries it out, `sync.live_up`);
    `NotFound` unless central holds it open at that site. Asking twice asks once."""
    visit = db.get(Visit, visit_id)
    if visit is None or visit.site_id != site_id or visit.checked_out_at is not None:
        raise NotFound(f"no open visit {visit_id} at {site_id}")
    waiting = db.scalar(
        select(CheckoutRequest).where(
            CheckoutRequest.visit_id == visit_id,
            CheckoutRequest.state == CheckoutState.PENDING,
        )
    )
    if waiting is not None:
        return waiting
    request = CheckoutRequest(
        site_id=site_id,
        visit_id=visit_id,
        author=author,
        requested_at=now,
        expires_at=now + CHECKOUT_TTL,
    )
    db.add(request)
    db.execute(
        update(SiteLink).where(SiteLink.site_id == site_id).values(version=SiteLink.version + 1)
    )
    db.flush()
    return request


def _resource(agent: SiteAgent, site_up: bool, users: dict[str, str]) -> LiveResource:
    status = agent.status
    alarms = tuple(Alarm(a) for a in agent.alarms if a in Alarm._value2member_map_)
    online = agent.online and site_up
    if not online and Alarm.OFFLINE not in alarms:
        alarms = (*alarms, Alarm.OFFLINE)
    member = str(status.get(StatusField.SESSION_MEMBER) or "")
    return LiveResource(
        agent_id=agent.agent_id,
        name=agent.name or agent.agent_id,
        kind=ResourceKind.MACHINE if agent.kind == AgentKind.MACHINE else ResourceKind.DOOR,
        code=agent.resource,
        online=online,
        mode=str(status.get(StatusField.MODE) or ""),
        relay=_flag(status.get(StatusField.RELAY)),
        door=str(status.get(StatusField.DOOR) or ""),
        busy=_flag(status.get(StatusField.BUSY)),
        session_member=users.get(member, member and "?"),
        seen_at=agent.seen_at,
        alarms=alarms,
        grants=GrantState(agent.grants_state)
        if agent.grants_state in GrantState._value2member_map_
        else GrantState.UNKNOWN,
    )


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _names(db: Session, ids: set[str]) -> dict[str, str]:
    wanted = []
    for text in ids:
        try:
            wanted.append(uuid.UUID(text))
        except ValueError:
            continue
    if not wanted:
        return {}
    members = db.scalars(select(Member).where(Member.id.in_(wanted)))
    return {str(m.id): m.display_name for m in members}
