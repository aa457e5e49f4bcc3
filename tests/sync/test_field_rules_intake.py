"""Central's intake checks a site's rows against the field rules again: a row that
breaks one is refused with the field and the rule named, at central (the console's
list) and at the site, and the rest of the upload goes on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from station import registry
from station.credential import Credential
from station.db import Member, Membership, SyncRejection
from station.db.refusals import CentralRefusal, RefusalReason
from station.refusals import open_refusals
from sync.up import sync_up
from tests.sync.support import KEY

SITE = "site-a"
TODAY = dt.date(2026, 11, 26)


def sign_up(site: Engine, first_name: str, email: str) -> Member:
    """A person signed up at the site (the rules kept), then `first_name` and `email`
    written past them, as a site of an older version or a hand-edited database would."""
    with Session(site, expire_on_commit=False) as db, db.begin():
        member = registry.add_member(
            db, "Placeholder", "Martin", origin_site=SITE, today=TODAY, membership_until=TODAY
        )
    with site.begin() as connection:
        connection.execute(
            update(Member).where(Member.id == member.id).values(first_name=first_name, email=email)
        )
    return member


def test_a_site_row_breaking_a_field_rule_is_refused_with_the_field_and_rule(
    site_engine: Engine, central_engine: Engine
) -> None:
    long = sign_up(site_engine, "A" * 10_000, "long@example.org")
    bidi = sign_up(site_engine, "Ann\u202eA", "not-an-address")
    with Session(site_engine) as db, db.begin():
        good = registry.add_member(db, "Zoé", "Roux", origin_site=SITE, today=TODAY)
        registry.enroll_badge(db, good, Credential.uid("04DD0001"), KEY, origin_site=SITE)
    result = sync_up(site_engine, central_engine, SITE, batch_size=10)
    # Zoé and her badge in; two people refused, and their memberships with them.
    assert (result.registry, result.rejected) == (2, 4)
    with Session(central_engine) as db:
        assert list(db.scalars(select(Member.first_name))) == ["Zoé"]
        assert list(db.scalars(select(Membership))) == []
        refusals = {
            r.member_id: r for r in db.scalars(select(CentralRefusal)) if r.entity == "members"
        }
        shown = {s.refusal.member_id for s in open_refusals(db, SITE)}
    assert refusals[long.id].reason is RefusalReason.FIELD_RULE
    assert "first_name breaks the rule too_long: 10000 characters" in refusals[long.id].detail
    assert refusals[bidi.id].reason is RefusalReason.FIELD_RULE
    detail = refusals[bidi.id].detail
    assert "first_name breaks the rule control_character" in detail and "U+202E" in detail
    assert "email breaks the rule email_format" in detail  # every problem of the row
    assert {long.id, bidi.id} <= shown  # in the console's list of refusals
    with Session(site_engine) as db:
        reasons = {r.entity_id: r.reason for r in db.scalars(select(SyncRejection))}
        left = db.scalars(select(Member).where(Member.dirty.is_(True))).all()
    assert reasons[str(long.id)] == refusals[long.id].detail  # the site is told the same
    memberships = [r for r in reasons.values() if "is not in the registry" in r]
    assert len(memberships) == 2
    assert left == []  # nothing offered again at every round
