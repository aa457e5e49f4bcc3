"""station.merge at central: what the kept record takes, trainings one per code, the
figures' bookkeeping moved without counting twice, chains of merges, and forgetting."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from station import merge, registry
from station.credential import Credential
from station.db import (
    EntryTally,
    FirstVisit,
    Member,
    MemberKind,
    MemberTraining,
    Training,
    Visit,
    VisitorLastSeen,
    make_engine,
)
from station.db.models import StaffPinFailure
from station.db.refusals import CentralRefusal, RefusalReason
from station.db.tallies import PeriodMember
from station.errors import InvalidInput, NotFound
from station.privacy import ERASED, forget
from sync import central

AT = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture
def engine(site_db: str) -> Iterator[Engine]:
    engine = make_engine(site_db)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    factory = central.sessions(engine)
    with factory() as db, db.begin():
        for code in ("laser", "cnc", "print3d"):
            db.add(Training(code=code, name_fr=code, name_en=code, valid_days=0))
    return factory


def two(sessions: sessionmaker[Session]) -> tuple[uuid.UUID, uuid.UUID]:
    """Kept: a visitor without email; gone: a member with one, older, other trainings."""
    with sessions() as db, db.begin():
        kept = registry.add_member(db, "Eve", kind=MemberKind.VISITOR, today=AT.date())
        gone = registry.add_member(db, "Eve", "Martin", email="eve@example.org", today=AT.date())
        gone.created_at = AT - 30 * DAY
        registry.grant_training(db, kept, "laser", granted_by="Kim", now=AT)
        registry.grant_training(db, gone, "laser", granted_by="Lou", now=AT - 10 * DAY)
        held = registry.grant_training(db, kept, "print3d", granted_by="Kim", now=AT)
        held.deleted_at = AT  # revoked for kept, still held by gone
        registry.grant_training(db, gone, "print3d", granted_by="Lou", now=AT - 5 * DAY)
        registry.grant_training(db, gone, "cnc", granted_by="Lou", now=AT - 2 * DAY)
        return kept.id, gone.id


def test_the_kept_record_takes_what_it_lacks_and_one_training_per_code(
    sessions: sessionmaker[Session],
) -> None:
    kept_id, gone_id = two(sessions)
    with sessions() as db, db.begin():
        done = merge.merge(db, kept_id, gone_id, AT + DAY)
    assert done.filled == ("last_name", "email") and done.trainings == 3
    with sessions() as db:
        kept = db.get(Member, kept_id)
        gone = db.get(Member, gone_id)
        assert kept is not None and gone is not None
        assert (kept.last_name, kept.email, kept.kind) == ("Martin", "eve@example.org", "member")
        assert kept.created_at == AT - 30 * DAY  # signed up first as the other record
        assert gone.deleted_at == AT + DAY and gone.merged_into == kept_id
        assert gone.revision > kept.revision  # the kept record reaches a site first
        held = {
            t.training_code: (t.granted_by, t.granted_at, t.member_id, t.deleted_at)
            for t in db.scalars(select(MemberTraining).where(MemberTraining.deleted_at.is_(None)))
        }
    assert held == {
        "laser": ("Lou", AT - 10 * DAY, kept_id, None),  # the first grant
        "print3d": ("Lou", AT - 5 * DAY, kept_id, None),  # revoked here, held there
        "cnc": ("Lou", AT - 2 * DAY, kept_id, None),  # moved as it was
    }


def test_the_figures_bookkeeping_moves_once_and_the_tallies_stay(
    sessions: sessionmaker[Session],
) -> None:
    kept_id, gone_id = two(sessions)
    cell = {"report": "entries", "period": "year", "key": "2026", "dimension": "", "value": ""}
    with sessions() as db, db.begin():
        for who, day in ((kept_id, AT.date()), (gone_id, AT.date() - 3 * DAY)):
            db.add(FirstVisit(site_id="gare", member_id=who, day=day))
            db.add(PeriodMember(site_id="gare", member_id=who, **cell))
        db.add(FirstVisit(site_id="halle", member_id=gone_id, day=AT.date()))
        db.add(VisitorLastSeen(member_id=kept_id, seen_at=AT - DAY))
        db.add(VisitorLastSeen(member_id=gone_id, seen_at=AT))
        db.add(StaffPinFailure(member_id=gone_id, failures=2))
        db.add(
            Visit(
                member_id=gone_id,
                kiosk_id="entrance",
                purpose="fablab",
                space="fablab",
                checked_in_at=AT,
                site_id="halle",
            )
        )
        db.add(
            EntryTally(
                site_id="halle",
                day=AT.date(),
                hour=11,
                space="fablab",
                purpose="fablab",
                commune="",
                kind="member",
                plan="",
                entries=1,
            )
        )
    with sessions() as db:
        tallies = [(t.site_id, t.day, t.entries) for t in db.scalars(select(EntryTally))]
    with sessions() as db, db.begin():
        assert merge.merge(db, kept_id, gone_id, AT + DAY).visits == 1
    with sessions() as db:
        firsts = {(f.site_id, f.member_id, f.day) for f in db.scalars(select(FirstVisit))}
        assert firsts == {("gare", kept_id, AT.date() - 3 * DAY), ("halle", kept_id, AT.date())}
        kept_cells = db.scalars(select(PeriodMember.member_id)).all()
        assert kept_cells == [kept_id]  # one person in the year's cell, once
        assert db.get(VisitorLastSeen, kept_id).seen_at == AT  # type: ignore[union-attr]
        assert db.get(VisitorLastSeen, gone_id) is None
        assert db.get(StaffPinFailure, gone_id) is None
        assert db.scalars(select(Visit.member_id)).all() == [kept_id]
        assert [(t.site_id, t.day, t.entries) for t in db.scalars(select(EntryTally))] == tallies


def test_a_chain_of_merges_points_at_the_last_kept_record(sessions: sessionmaker[Session]) -> None:
    with sessions() as db, db.begin():
        a, b, c = (registry.add_member(db, name).id for name in ("A", "B", "C"))
    with sessions() as db, db.begin():
        merge.merge(db, b, c, AT)
    with sessions() as db, db.begin():
        merge.merge(db, a, b, AT + DAY)
    with sessions() as db:
        assert {m.id: m.merged_into for m in db.scalars(select(Member))} == {a: None, b: a, c: a}


def test_merging_refuses_one_record_twice_and_a_tombstone(sessions: sessionmaker[Session]) -> None:
    with sessions() as db, db.begin():
        a, b = (registry.add_member(db, name).id for name in ("A", "B"))
        merge.merge(db, a, b, AT)
    with sessions() as db, db.begin():
        with pytest.raises(InvalidInput):
            merge.merge(db, a, a, AT)
        with pytest.raises(NotFound):
            merge.merge(db, a, b, AT)  # b is gone already


def test_forgetting_a_person_closes_and_blanks_the_refusals_naming_them(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as db, db.begin():
        eve = registry.add_member(db, "Eve", "Martin")
        other = registry.add_member(db, "Evelyne")
        db.add(
            CentralRefusal(
                site_id="gare",
                entity="credentials",
                entity_id="x",
                reason=RefusalReason.BADGE_HELD,
                detail="badge already held by Eve Martin (0123abcd) at central",
                member_id=other.id,
                other_member_id=eve.id,
                at=AT,
            )
        )
    with sessions() as db, db.begin():
        person = db.get(Member, eve.id)
        assert person is not None
        forget(db, person, now=AT + DAY)
    with sessions() as db:
        refusal = db.scalars(select(CentralRefusal)).one()
        assert (refusal.detail, refusal.other_member_id) == (ERASED, None)
        assert refusal.resolved_at == AT + DAY and refusal.revision > 0


def test_keeping_the_record_whose_badge_was_refused_gives_it_the_badge(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as db, db.begin():
        holder = registry.add_member(db, "Eve", email="eve@example.org")
        registry.enroll_badge(db, holder, Credential.uid("04A1B2C3"), b"key")
        refused = registry.add_member(db, "Eve", "Martin", email="eve@example.org")
        db.add(
            CentralRefusal(
                site_id="ecole",
                entity="credentials",
                entity_id="x",
                reason=RefusalReason.BADGE_HELD,
                member_id=refused.id,
                other_member_id=holder.id,
                at=AT,
            )
        )
    with sessions() as db, db.begin():
        done = merge.merge(db, refused.id, holder.id, AT + DAY)
    assert (done.badges, done.resolved) == (1, 1)
    with sessions() as db:
        kept = db.get(Member, refused.id)
        assert kept is not None
        assert [b.hash for b in kept.badges] == [Credential.uid("04A1B2C3").keyed_hash(b"key")]
        assert db.scalars(select(CentralRefusal.resolved_at)).one() == AT + DAY
