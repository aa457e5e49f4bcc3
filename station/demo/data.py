"""The people of the demo: a few members whose badges show every outcome, at any hour."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from station import registry, staff_pin
from station.credential import Credential, CredentialKind
from station.db import BadgeStatus, Member, MemberKind, utcnow


@dataclass(frozen=True)
class DemoPerson:
    first_name: str
    last_name: str
    kind: MemberKind
    uid: str
    commune: str
    membership_days: int  # negative: expired that many days ago
    trainings: tuple[str, ...] = ()
    revoked: bool = False
    shows: str = ""
    plan: str = "member"
    pin: str = ""  # staff: the PIN the kiosk asks after the badge
    # A secure badge too (a DESFire's credential, tapped as `secure:HEX`): staff mode
    # and 24/7 plans ask for one (docs/agent.md, "Secure badges: policy").
    secure: str = ""

    @property
    def secure_tap(self) -> str:
        """What `station reader tap` takes for the secure badge ('' if none)."""
        return f"secure:{self.secure}" if self.secure else ""


PEOPLE = (
    DemoPerson(
        "Nadia",
        "Benali",
        MemberKind.STAFF,
        "04D1A5A1",
        "62765",
        365,
        ("laser", "printer-3d"),
        shows="staff: with her secure badge, every door at any hour, lockdown too, "
        "staff mode at the kiosk (PIN 1234), clears the laser cutter's check after "
        "each session (her plain UID: secure_required)",
        pin="1234",
        secure="5354010ADA0000000000000000000001",
    ),
    DemoPerson(
        "Inès",
        "Moreau",
        MemberKind.MEMBER,
        "04F6A7B8",
        "62765",
        365,
        ("printer-3d",),
        plan="resident",
        shows="coworking resident: the front door at any hour with her secure badge "
        "(her plain UID: secure_required); the laser cutter only in fablab hours",
        secure="5354010ADA0000000000000000000002",
    ),
    DemoPerson(
        "Camille",
        "Martin",
        MemberKind.MEMBER,
        "04A1B2C3",
        "62040",
        365,
        ("laser",),
        shows="member trained on the laser cutter (hold the badge: "
        "reader tap --hold, then --remove); the front door in opening "
        "hours only",
    ),
    DemoPerson(
        "Lucas",
        "Dubois",
        MemberKind.MEMBER,
        "04B2C3D4",
        "62014",
        200,
        shows="member without training: denied at the machines",
    ),
    DemoPerson(
        "Hugo",
        "Lefebvre",
        MemberKind.MEMBER,
        "04C3D4E5",
        "62765",
        -10,
        shows="membership expired ten days ago",
    ),
    DemoPerson(
        "Emma",
        "Roux",
        MemberKind.MEMBER,
        "04E5F6A7",
        "62040",
        365,
        revoked=True,
        shows="revoked badge (reported lost)",
    ),
)
UNKNOWN_UID = "04FFFFFF"


def seed_people(session: Session, key: bytes, today: dt.date | None = None) -> bool:
    """Add the demo people unless someone is already registered; True if added."""
    if session.scalar(select(Member.id).limit(1)) is not None:
        return False
    today = today or dt.date.today()
    for person in PEOPLE:
        member = registry.add_member(
            session,
            person.first_name,
            person.last_name,
            kind=person.kind,
            home_commune=person.commune,
            consent_at=utcnow(),
            membership_until=today + dt.timedelta(days=person.membership_days),
            today=today - dt.timedelta(days=400),
            plan=person.plan,
        )
        badge = registry.enroll_badge(
            session, member, Credential.uid(person.uid), key, label="badge de démonstration"
        )
        if person.secure:
            secure = Credential(CredentialKind.SECURE, bytes.fromhex(person.secure))
            registry.enroll_badge(
                session, member, secure, key, label="badge sécurisé de démonstration"
            )
        for code in person.trainings:
            registry.grant_training(session, member, code, granted_by="demo")
        if person.revoked:
            registry.revoke_badge(session, badge, status=BadgeStatus.LOST)
        if person.pin:
            staff_pin.set_pin(session, member, person.pin)
    return True
