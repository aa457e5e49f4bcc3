"""`station member export`, at the site and at central (`--central`): every table that
names the person, and only what is theirs; hashes said to exist, never shown."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from station import registry
from station.cli.main import main
from station.credential import Credential
from station.db import (
    AccessEvent,
    Base,
    Company,
    MachineSession,
    SkillRecord,
    SyncRejection,
    Visit,
    make_engine,
)
from station.db.models import StaffPinFailure, VisitorLastSeen
from station.db.refusals import CentralRefusal, RefusalReason
from station.db.tallies import FirstVisit, PeriodMember
from station.ids import new_event_id
from sync import central

ROOT = Path(__file__).resolve().parents[2]
AT = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
KEY = b"k" * 32
SITE = "saint-omer-gare"
# Where each table that names a person is in the export (a new one must be added here
# and to station.privacy.export).
EXPORTED = {
    "memberships": "memberships",
    "credentials": "badges",
    "member_trainings": "trainings",
    "visits": "visits",
    "access_events": "access_events",
    "machine_sessions": "machine_sessions",
    "staff_pin_failures": "staff_pin_failures",
    "first_visits": "first_visits",
    "period_members": "period_members",
    "skill_records": "skills",
    "companies": "companies",
    "visitor_last_seen": "last_seen",
    "central_refusals": "central_refusals",
}


def test_every_table_naming_a_person_is_exported() -> None:
    naming = {
        table.name
        for table in Base.metadata.sorted_tables
        if {"member_id", "credential_hash"} & set(table.c.keys())
    }
    assert naming == set(EXPORTED)  # sync_rejections name them in text: exported too


@pytest.fixture
def databases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, object]]:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    urls = {"central": f"sqlite:///{tmp_path}/central.db", "site": f"sqlite:///{tmp_path}/site.db"}
    monkeypatch.setenv("STATION_CENTRAL_URL", urls["central"])
    monkeypatch.setenv("STATION_DATABASE_URL", urls["site"])
    assert main(["--config", str(config), "db", "upgrade", "--central"]) == 0
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    engines = {name: make_engine(url) for name, url in urls.items()}
    yield {"config": str(config), **engines}
    for engine in engines.values():
        engine.dispose()


def _plain(engine: Engine) -> AbstractContextManager[Session]:
    from contextlib import contextmanager

    @contextmanager
    def scope() -> Iterator[Session]:
        with Session(engine) as db, db.begin():
            yield db

    return scope()


def populate(session: Callable[[], AbstractContextManager[Session]]) -> str:
    """Camille with a row in every table that names a person, and Zoé beside her."""
    with session() as db:
        camille = registry.add_member(
            db, "Camille", "Martin", email="c@example.fr", membership_until=AT.date()
        )
        zoe = registry.add_member(db, "Zoé", email="z@example.fr")
        badge = registry.enroll_badge(db, camille, Credential.uid("04A1B2C3"), KEY)
        registry.enroll_badge(db, zoe, Credential.uid("04D4E5F6"), KEY)
        registry.grant_training(db, camille, "laser", now=AT)
        for who in (camille, zoe):
            db.add(FirstVisit(site_id=SITE, member_id=who.id, day=AT.date()))
            db.add(
                PeriodMember(
                    site_id=SITE,
                    report="entries",
                    period="year",
                    key="2026",
                    dimension="",
                    value="",
                    member_id=who.id,
                )
            )
        for who, siren in ((camille, "732829320"), (zoe, "552100554")):
            db.add(SkillRecord(site_id=SITE, member_id=who.id, skill="pix", recorded_on=AT.date()))
            db.add(
                Company(
                    site_id=SITE,
                    member_id=who.id,
                    name=f"{who.first_name} SAS",
                    siren=siren,
                    created_on=AT.date(),
                    offer="coworking",
                )
            )
            db.add(
                Visit(
                    site_id=SITE,
                    member_id=who.id,
                    kiosk_id="entrance",
                    purpose="fablab",
                    space="fablab",
                    checked_in_at=AT,
                )
            )
            for model in (AccessEvent, MachineSession):
                common = {"id": new_event_id(), "site_id": SITE, "agent_id": "laser-cutter"}
                when = {"at": AT} if model is AccessEvent else {"started_at": AT}
                extra = {"type": "granted"} if model is AccessEvent else {}
                db.add(
                    model(
                        **common,
                        **when,
                        **extra,
                        resource="laser-cutter",
                        member_id=who.id,
                        credential_hash=badge.hash if who is camille else None,
                    )
                )
        db.add(StaffPinFailure(member_id=camille.id, failures=2))
        db.add(VisitorLastSeen(member_id=camille.id, seen_at=AT))
        db.add(
            SyncRejection(
                entity="agent_event",
                entity_id="laser-cutter",
                reason=f'bad signature; payload: {{"credential_hash": "{badge.hash}"}}',
                at=AT,
            )
        )
        db.add(SyncRejection(entity="members", entity_id=str(zoe.id), reason="r", at=AT))
        for who in (camille, zoe):
            db.add(
                CentralRefusal(
                    site_id=SITE,
                    entity="members",
                    entity_id=str(who.id),
                    reason=RefusalReason.CHANGED_AT_CENTRAL,
                    member_id=who.id,
                    at=AT,
                )
            )
        return str(camille.id)


def _export(config: str, *args: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["--config", config, "member", "export", *args, "c@example.fr"]) == 0
    return dict(json.loads(capsys.readouterr().out))


def _check(exported: dict[str, object], camille: str) -> None:
    member = exported["member"]
    assert isinstance(member, dict) and member["email"] == "c@example.fr"
    for key in EXPORTED.values():
        rows = exported[key]
        assert isinstance(rows, list) and len(rows) == 1, key  # Camille's, not Zoé's
        assert all(row.get("member_id", camille) == camille for row in rows), key
    rejections = exported["sync_rejections"]
    assert isinstance(rejections, list)
    assert [r["entity"] for r in rejections] == ["agent_event"]  # Zoé's is not hers
    assert "hash" not in exported["badges"][0]  # type: ignore[index]


@pytest.mark.parametrize("where", ["site", "central"])
def test_export_holds_every_table_naming_the_person(
    databases: dict[str, object], where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = databases[where]
    assert isinstance(engine, Engine)
    scope = (lambda: central.session(engine)) if where == "central" else (lambda: _plain(engine))
    camille = populate(scope)
    args = ("--central",) if where == "central" else ()
    config = databases["config"]
    assert isinstance(config, str)
    _check(_export(config, *args, capsys=capsys), camille)


def test_forget_removes_the_refusals_and_pin_failures_naming_the_person(
    databases: dict[str, object],
) -> None:
    from sqlalchemy import select

    from station.db import Member
    from station.privacy import forget

    engine = databases["site"]
    assert isinstance(engine, Engine)
    camille = populate(lambda: _plain(engine))
    with _plain(engine) as db:
        forget(db, db.scalars(select(Member).where(Member.email == "c@example.fr")).one())
    with Session(engine) as db:
        assert db.scalars(select(StaffPinFailure)).all() == []
        assert db.scalars(select(VisitorLastSeen)).all() == []
        [left] = db.scalars(select(SyncRejection)).all()
        assert left.entity == "members" and left.entity_id != camille  # Zoé's stays
