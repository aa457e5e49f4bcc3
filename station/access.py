"""Facts for the access rule, read from a site database: the one reader of badge rights.

`credential_facts` reads what `station.rules.decide` needs of many badges in four
queries (every live badge when no hashes are given): the grant compiler
(`sync.compiler`) calls it for all badges at once, the kiosk (`lookup`) for the one
presented, so an agent and the kiosk judge a badge from the same facts. Only live
rows count (`station.db.live`): a tombstoned member, badge, membership or training
gives no right.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, Select, String, select, type_coerce
from sqlalchemy.orm import Session

from station.config import StationConfig
from station.db import (
    Badge,
    BadgeStatus,
    Member,
    MemberKind,
    Membership,
    MemberTraining,
    Resource,
)
from station.db.live import live
from station.plans import plan_windows, secure_plans, staff_secure
from station.rules import CredentialFacts, MembershipSpan, ResourceFacts
from station.schedule import Schedule

_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])  # any select, its row type kept


class Holder(NamedTuple):
    """The facts shared by some badges: one member's badges of one status."""

    member_id: str  # the dashed UUID text
    facts: CredentialFacts
    badges: list[str]  # their hashes


def credential_facts(
    db: Session | Connection,
    hashes: Collection[str] | None = None,
    *,
    member_ids: Collection[uuid.UUID] | None = None,
    plan_of: Callable[[str], str] = str,
) -> Iterator[Holder]:
    """The facts of the live badges of live members among `hashes` (all of them when
    None), grouped by holder: a member's active badges share their facts, and so do
    their revoked ones. Revoked and lost badges are included, marked revoked, so that
    the refusal can name the reason; an unknown or deleted badge is absent.
    Grouped, not one object per badge: the grant compiler builds one entry per
    group, and 150,000 objects more would cost it a third of its time.

    `plan_of` maps a membership's plan to the one the site applies (a plan the
    configuration no longer declares becomes the default plan). `member_ids` narrows
    to those members' badges (the grant compiler re-reading the members that changed,
    `sync.grant_cache`). On a `Connection` nothing is flushed: give a `Session` to see
    its pending changes.
    """
    among = _Among(hashes, member_ids)
    holders = _holders(db, among)
    spans = _spans(db, among, plan_of)
    held = _trainings(db, among)
    for (member, revoked), badge_hashes in _badges(db, among, holders).items():
        facts = CredentialFacts(
            revoked=revoked,
            staff=holders[member].staff,
            memberships=tuple(sorted(spans.get(member, ()), key=_span_order)),
            trainings=held.get(member, {}),
            secure_only=holders[member].secure_only,
        )
        yield Holder(uuid_text(member), facts, badge_hashes)


def _member_key(column: Any) -> Any:
    """A member id column read as its driver value (no UUID objects): ids are only keys
    here, and converting 150,000 of them is most of the grant compiler's time."""
    return type_coerce(column, String)


class _Among(NamedTuple):
    """Which badges `credential_facts` reads: all, or those of `hashes` or of `members`."""

    hashes: Collection[str] | None
    members: Collection[uuid.UUID] | None


def _of_holders(query: _Query, member_id: Any, among: _Among) -> _Query:
    """`query` narrowed to the holders of `among` (all members when it names none)."""
    if among.members is not None:
        query = query.where(member_id.in_(among.members))
    if among.hashes is None:
        return query
    return query.where(
        member_id.in_(select(Badge.member_id).where(Badge.hash.in_(among.hashes), live(Badge)))
    )


class _Holder(NamedTuple):
    staff: bool
    secure_only: bool


def _holders(db: Session | Connection, among: _Among) -> dict[Any, _Holder]:
    """Whether each live holder is staff, secure-only; a deleted member has no key."""
    query = select(_member_key(Member.id), Member.kind, Member.secure_only).where(live(Member))
    return {
        row[0]: _Holder(row[1] == MemberKind.STAFF, bool(row[2]))
        for row in db.execute(_of_holders(query, Member.id, among))
    }


def _spans(
    db: Session | Connection, among: _Among, plan_of: Callable[[str], str]
) -> dict[Any, list[MembershipSpan]]:
    query = select(
        _member_key(Membership.member_id),
        Membership.valid_from,
        Membership.valid_until,
        Membership.plan,
    ).where(live(Membership))
    spans: dict[Any, list[MembershipSpan]] = defaultdict(list)
    for member, valid_from, valid_until, plan in db.execute(
        _of_holders(query, Membership.member_id, among)
    ):
        spans[member].append(MembershipSpan(valid_from, valid_until, plan_of(plan)))
    return spans


def _trainings(db: Session | Connection, among: _Among) -> dict[Any, dict[str, Any]]:
    query = select(
        _member_key(MemberTraining.member_id),
        MemberTraining.training_code,
        MemberTraining.expires_at,
    ).where(live(MemberTraining))
    held: dict[Any, dict[str, Any]] = defaultdict(dict)
    for member, code, expires in db.execute(_of_holders(query, MemberTraining.member_id, among)):
        held[member][code] = expires
    return held


def _badges(
    db: Session | Connection, among: _Among, staff: dict[Any, _Holder]
) -> dict[tuple[Any, bool], list[str]]:
    """The badges' hashes by holder and revoked-or-not."""
    query = select(Badge.hash, _member_key(Badge.member_id), Badge.status).where(live(Badge))
    if among.members is not None:
        query = query.where(Badge.member_id.in_(among.members))
    if among.hashes is not None:
        query = query.where(Badge.hash.in_(among.hashes))
    grouped: dict[tuple[Any, bool], list[str]] = defaultdict(list)
    for badge_hash, member, status in db.execute(query):
        if member in staff:  # a deleted member's badges give nothing
            grouped[member, status != BadgeStatus.ACTIVE].append(badge_hash)
    return grouped


def lookup(session: Session, badge_hash: str) -> tuple[CredentialFacts, Badge] | None:
    """The facts of a presented credential and its badge row; None if unknown or deleted."""
    found = next(credential_facts(session, [badge_hash]), None)
    if found is None:
        return None
    badge = session.scalars(select(Badge).where(Badge.hash == badge_hash, live(Badge))).one()
    return found.facts, badge


def _span_order(span: MembershipSpan) -> tuple[Any, Any, str]:
    return span.valid_from, span.valid_until or span.valid_from, span.plan


def uuid_text(value: Any) -> str:
    """The usual dashed form of a UUID read as a driver value (32 hex digits on SQLite)."""
    text = value.hex if isinstance(value, uuid.UUID) else str(value).replace("-", "")
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def resource_facts(session: Session, config: StationConfig, code: str) -> ResourceFacts:
    """Facts of a resource; a resource missing from the database is disabled (deny).

    The hours come from the configuration (the schedule the agent or space names, the
    plans' windows, staff's rule); the database says whether staff disabled it.
    """
    resource = session.scalar(
        select(Resource).where(
            Resource.site_id == config.site.id, Resource.code == code, live(Resource)
        )
    )
    if resource is None:
        return ResourceFacts(code=code, enabled=False)
    agent = next((a for a in config.agents.values() if a.resource == code), None)
    space = config.spaces.get(code)
    schedule_name = agent.schedule if agent else space.schedule if space else resource.schedule
    known = config.schedule_names()
    return ResourceFacts(
        code=code,
        required_trainings=tuple(resource.required_trainings),
        # A name the configuration no longer declares closes the resource: deny.
        schedule=config.schedule(schedule_name)
        if schedule_name in known
        else Schedule(timezone=config.site.timezone),
        enabled=resource.enabled,
        out_of_order=resource.out_of_order,
        plan_windows=plan_windows(config, code),
        staff_window=config.schedule(config.staff.schedule),
        staff_secure=staff_secure(config),
        free_access=config.schedule(agent.free_access) if agent and agent.free_access else None,
        require_secure=resource.require_secure,
        secure_plans=secure_plans(config, code),
    )
