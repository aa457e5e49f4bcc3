"""A tombstone gives no right: every reader of rights leaves it out, each row kind alone.

Alice holds a badge, a membership covering today and the laser training; Bob holds
the same, untouched, so that a reader which saw nothing at all would not pass. Then
one row of Alice's is tombstoned the way sync applies central's deletion (only
``deleted_at`` set: the other rows stay live), and each reader is asked.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from station import memberships, registry
from station.access import credential_facts, lookup
from station.checkin import Desk, Outcome
from station.config import StationConfig, load_config
from station.credential import Credential
from station.db import Badge, Member, Membership, MemberTraining, make_engine
from station.errors import NotFound
from station.seed import seed_site
from sync.compiler import compile_entries

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=PARIS).astimezone(dt.UTC)  # a Tuesday, open
TODAY = NOW.astimezone(PARIS).date()
KINDS = ("member", "badge", "membership", "training")
ALICE_UID, BOB_UID = "04A1B2C3", "04B0B0B0"


@pytest.fixture
def config(config_file: Path) -> StationConfig:
    return load_config(config_file)


@pytest.fixture(params=KINDS)
def gone(request: pytest.FixtureRequest) -> str:
    """Which of Alice's rows is tombstoned."""
    return str(request.param)


@pytest.fixture
def session(site_db: str, config: StationConfig, gone: str) -> Iterator[Session]:
    engine = make_engine(site_db)
    with Session(engine, expire_on_commit=False) as db:
        seed_site(db, config)
        for name, uid in (("Alice", ALICE_UID), ("Bob", BOB_UID)):
            person = registry.add_member(
                db,
                name,
                "Martin",
                email=f"{name.lower()}@example.fr",
                membership_until=dt.date(2099, 12, 31),
                today=dt.date(2026, 1, 1),
            )
            registry.enroll_badge(db, person, Credential.uid(uid), config.badge_key)
            registry.grant_training(db, person, "laser", now=NOW - dt.timedelta(days=1))
        alice = registry.find_member(db, "Alice Martin")
        rows: dict[str, Member | Badge | Membership | MemberTraining] = {
            "member": alice,
            "badge": alice.badges[0],
            "membership": alice.memberships[0],
            "training": alice.trainings[0],
        }
        rows[gone].deleted_at = NOW - dt.timedelta(hours=1)
        db.commit()
        yield db
    engine.dispose()


def hash_of(config: StationConfig, uid: str) -> str:
    return Credential.uid(uid).keyed_hash(config.badge_key)


def alice(session: Session) -> Member:
    return session.scalars(select(Member).where(Member.first_name == "Alice")).one()


def test_the_access_lookup(session: Session, config: StationConfig, gone: str) -> None:
    found = lookup(session, hash_of(config, ALICE_UID))
    bob = lookup(session, hash_of(config, BOB_UID))
    assert bob is not None and bob[0].memberships and "laser" in bob[0].trainings
    if gone in ("member", "badge"):
        assert found is None
        return
    assert found is not None
    facts, _badge = found
    if gone == "membership":
        assert facts.memberships == ()
        assert "laser" in facts.trainings
    else:
        assert "laser" not in facts.trainings
        assert facts.memberships


def test_the_bulk_reader_and_the_grant_compiler(
    session: Session, config: StationConfig, gone: str
) -> None:
    alice_hash, bob_hash = hash_of(config, ALICE_UID), hash_of(config, BOB_UID)
    holders = {h: holder for holder in credential_facts(session) for h in holder.badges}
    entries = compile_entries(session.connection())
    assert bob_hash in holders and bob_hash in entries
    assert entries[bob_hash]["trainings"] and entries[bob_hash]["memberships"]
    if gone in ("member", "badge"):
        assert alice_hash not in holders and alice_hash not in entries
        return
    facts, entry = holders[alice_hash].facts, entries[alice_hash]
    if gone == "membership":
        assert facts.memberships == () and not entry["memberships"]
        assert "laser" in facts.trainings and entry["trainings"]
    else:
        assert "laser" not in facts.trainings and not entry["trainings"]
        assert facts.memberships and entry["memberships"]


def test_the_kiosk_check_in(session: Session, config: StationConfig, gone: str) -> None:
    desk = Desk.from_config(config, "entrance")
    assert desk.tap(session, hash_of(config, BOB_UID), NOW).outcome is Outcome.WELCOME
    outcome = desk.tap(session, hash_of(config, ALICE_UID), NOW).outcome
    expected = {
        "member": Outcome.UNKNOWN,
        "badge": Outcome.UNKNOWN,
        "membership": Outcome.EXPIRED,
        "training": Outcome.WELCOME,  # a check-in needs no training
    }
    assert outcome is expected[gone]
    if gone == "member":  # nor can a badge be enrolled for a deleted member
        with pytest.raises(NotFound):
            desk.enrol(session, alice(session).id, Credential.uid("04C0FFEE"), config.badge_key)


def test_the_registry(session: Session, config: StationConfig, gone: str) -> None:
    member, key = alice(session), config.badge_key
    badge = session.scalars(select(Badge).where(Badge.member_id == member.id)).one()
    bob = registry.find_member(session, "Bob Martin")
    assert memberships.current_membership(session, bob, TODAY) is not None
    if gone == "member":
        for ref in (str(member.id), str(member.id)[:8], "alice@example.fr", "Alice Martin"):
            with pytest.raises(NotFound):
                registry.find_member(session, ref)
        assert registry.search_members(session, "Martin") == [bob]
        assert registry.email_holder(session, "alice@example.fr") is None
        return
    assert registry.find_member(session, "Alice Martin") is member
    if gone == "badge":
        assert registry.badge_by_hash(session, badge.hash) is None
        for ref in (ALICE_UID, str(badge.id)):
            with pytest.raises(NotFound):
                registry.find_badge(session, ref, key)
        return
    assert registry.find_badge(session, ALICE_UID, key) is badge
    if gone == "membership":
        assert memberships.current_membership(session, member, TODAY) is None
        return
    assert memberships.current_membership(session, member, TODAY) is not None
    with pytest.raises(NotFound):  # the training is no longer held
        registry.revoke_training(session, member, "laser")


@pytest.fixture
def station(site_db: str, config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys):  # type: ignore[no-untyped-def]
    """`station --json ...` in-process on `site_db`; returns the JSON printed."""
    from station.cli.main import main

    monkeypatch.setenv("STATION_DATABASE_URL", site_db)

    def run(*args: str) -> object:
        capsys.readouterr()
        assert main(["--config", str(config_file), "--json", *args]) == 0
        out = capsys.readouterr().out
        return json.loads(out) if out.strip() else None

    return run


def test_the_command_line(session: Session, station, gone: str) -> None:  # type: ignore[no-untyped-def]
    members = {m["name"]: m for m in station("member", "list")}
    badges = [b["member"] for b in station("badge", "list")]
    held = [t["member"] for t in station("training", "list")]
    bob = station("member", "show", "Bob Martin")
    assert bob["badges"] == 1 and bob["memberships"] and bob["trainings"]
    assert "Bob Martin" in members and "Bob Martin" in badges and "Bob Martin" in held
    if gone == "member":
        assert "Alice Martin" not in members
        assert "Alice Martin" not in badges and "Alice Martin" not in held
        return
    shown = station("member", "show", "Alice Martin")
    if gone == "badge":
        assert members["Alice Martin"]["badges"] == 0 and shown["badge_list"] == []
        assert "Alice Martin" not in badges
    elif gone == "membership":
        assert shown["memberships"] == [] and shown["badges"] == 1
    else:
        assert shown["trainings"] == [] and "Alice Martin" not in held
