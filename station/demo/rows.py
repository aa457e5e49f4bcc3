"""The demo history written at central as if it had gone through sync: registry rows
with central revisions and nothing dirty, history rows with their site and upload
time, all inserted in bulk (see `station.demo.history`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from station.db import Badge, BadgeStatus, MachineSession, Member, Membership, MemberTraining, Visit
from station.demo.frame import Frame
from station.demo.rhythms import Person, uuid4_from

Allocate = Callable[[Connection, int], int]  # reserves n revisions at central: the first

FABMANAGER = "fabmanager (démo)"


def write_history(
    session: Session,
    allocate: Allocate,
    frame: Frame,
    drawn: list[Person],
    visits: list[dict[str, Any]],
    sessions: list[dict[str, Any]],
) -> int:
    """Insert the people seen, their visits and machine sessions; the rows added."""
    people = [p for p in drawn if p.days]  # a member never seen is not drawn
    for person in people:
        person.created_at = min(person.created_at, frame.now)
    people_rows: list[tuple[Any, list[dict[str, Any]]]] = [
        (Member, [_member_row(frame, p) for p in people]),
        (Membership, _memberships(frame, people)),
        (Badge, _badges(frame, people)),
        (MemberTraining, _trainings(frame, people)),
    ]
    total = sum(len(rows) for _, rows in people_rows)
    if total:
        revision = allocate(session.connection(), total)
        for _, rows in people_rows:  # parents first, so a site meets them first
            for row in rows:
                row["revision"], revision = revision, revision + 1
    for model, rows in [*people_rows, (Visit, visits), (MachineSession, sessions)]:
        if rows:
            session.execute(insert(model), rows)
    session.flush()
    return total + len(visits) + len(sessions)


def _member_row(frame: Frame, person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "kind": person.kind,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "home_commune": person.commune,
        "consent_at": person.created_at,
        "created_at": person.created_at,
        "last_purpose": person.last_purpose,
        "origin_site": person.origin_site,
        **_replicated(frame, person.created_at),
    }


def _memberships(frame: Frame, people: list[Person]) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid4_from(frame.rng),
            "member_id": p.id,
            "plan": p.plan,
            "valid_from": start,
            "valid_until": end,
            "origin_site": None,
            **_replicated(frame, frame.at(start, 9)),
        }
        for p in people
        for start, end in p.terms
    ]


def _badges(frame: Frame, people: list[Person]) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid4_from(frame.rng),
            "member_id": p.id,
            "kind": "uid",
            "hash": p.badge,
            "label": "badge visiteur" if p.origin_site else "carte d'adhérent",
            "status": BadgeStatus.ACTIVE,
            "enrolled_at": p.badge_at or p.created_at,
            "revoked_at": None,
            "origin_site": p.origin_site,
            **_replicated(frame, p.badge_at or p.created_at),
        }
        for p in people
        if p.badge is not None
    ]


def _trainings(frame: Frame, people: list[Person]) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid4_from(frame.rng),
            "member_id": p.id,
            "training_code": code,
            "granted_by": FABMANAGER,
            "granted_at": at,
            "expires_at": _expiry(frame, code, at),
            "origin_site": None,
            **_replicated(frame, at),
        }
        for p in people
        for code, at in sorted(p.trainings.items())
    ]


def _replicated(frame: Frame, at: dt.datetime) -> dict[str, Any]:
    return {"updated_at": min(at, frame.now), "deleted_at": None, "dirty": False}


def _expiry(frame: Frame, code: str, granted: dt.datetime) -> dt.datetime | None:
    training = frame.config.trainings.get(code)
    return (
        granted + dt.timedelta(days=training.valid_days)
        if training and training.valid_days
        else None
    )
