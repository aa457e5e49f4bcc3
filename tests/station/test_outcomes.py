"""Skills and companies that staff record (`station.outcomes`, `station member skill|company`):
the SIREN's check, the catalogue's refusal, the site recorded, forget and export."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station import registry
from station.cli.main import main
from station.db import Company, Member, SkillRecord, make_engine
from station.errors import Conflict, InvalidInput
from station.fields import Field, FieldRefused, Rule
from station.outcomes import (
    InvalidSiren,
    UnknownOffer,
    UnknownSkill,
    check_siren,
    luhn_sum,
    record_company,
    record_skill,
)
from station.privacy import export, forget

ROOT = Path(__file__).resolve().parents[2]
SITE = "saint-omer-gare"
NOW = dt.datetime(2026, 11, 20, 10, tzinfo=ZoneInfo("Europe/Paris"))
CATALOGUE = ("demarches-en-ligne", "messagerie", "pix")
OFFERS = ("coworking", "fablab")


# ---- SIREN -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "siren"),
    [
        ("732829320", "732829320"),  # a known SIREN
        ("732 829 320", "732829320"),  # as printed on a Kbis
        ("552100554", "552100554"),
        ("356000000", "356000000"),
        ("000000000", "000000000"),  # the sum 0 is a multiple of 10
    ],
)
def test_valid_sirens_are_taken_as_nine_digits(text: str, siren: str) -> None:
    assert check_siren(text) == siren


def test_the_luhn_sum_doubles_every_second_digit_from_the_right() -> None:
    # 7 3 2 8 2 9 3 2 0 -> 7 + 6 + 2 + 7 + 2 + 9 + 3 + 4 + 0 (16 -> 7, 18 -> 9)
    assert luhn_sum("732829320") == 40
    assert luhn_sum("18") == 10  # 1 doubled: 2, + 8


@pytest.mark.parametrize("last", [d for d in "123456789"])
def test_a_wrong_key_is_refused_saying_so(last: str) -> None:
    with pytest.raises(InvalidSiren, match=r"key .*does not match.*Luhn"):
        check_siren("73282932" + last)


def test_two_neighbours_swapped_are_caught() -> None:
    with pytest.raises(InvalidSiren, match="Luhn"):
        check_siren("738229320")


@pytest.mark.parametrize(("text", "count"), [("73282932", 8), ("7328293200", 10), ("", 0)])
def test_a_wrong_length_is_refused_naming_the_count(text: str, count: int) -> None:
    with pytest.raises(InvalidSiren, match=f"has {count} digits; expected 9 digits"):
        check_siren(text)


@pytest.mark.parametrize(
    ("text", "wrong"), [("73282932A", "A"), ("732-829-320", "-"), ("७३२८२९३२०", "७")]
)
def test_letters_and_signs_are_refused_naming_them(text: str, wrong: str) -> None:
    with pytest.raises(InvalidSiren, match="characters other than digits") as raised:
        check_siren(text)
    assert wrong in str(raised.value)


def test_a_siren_refusal_is_an_invalid_input() -> None:
    assert issubclass(InvalidSiren, InvalidInput)


# ---- recording ---------------------------------------------------------------------


@pytest.fixture
def db(site_db: str) -> Iterator[Session]:
    engine = make_engine(site_db)
    with Session(engine) as session, session.begin():
        yield session
    engine.dispose()


def test_a_skill_outside_the_catalogue_is_refused_naming_the_allowed(db: Session) -> None:
    camille = registry.add_member(db, "Camille")
    with pytest.raises(UnknownSkill, match=r"'cooking'.*demarches-en-ligne, messagerie, pix"):
        record_skill(db, camille, "cooking", catalogue=CATALOGUE, site_id=SITE, on=NOW.date())
    assert db.scalars(select(SkillRecord)).all() == []


def test_a_skill_is_recorded_once_with_its_site_day_and_author(db: Session) -> None:
    camille = registry.add_member(db, "Camille")
    day = dt.date(2026, 11, 3)
    record = record_skill(db, camille, "pix", catalogue=CATALOGUE, site_id=SITE, on=day, by="Inès")
    assert (record.member_id, record.skill, record.recorded_on) == (camille.id, "pix", day)
    assert (record.site_id, record.recorded_by, record.uploaded_at) == (SITE, "Inès", None)
    with pytest.raises(Conflict, match="already has pix"):
        record_skill(db, camille, "pix", catalogue=CATALOGUE, site_id=SITE, on=NOW.date())


def _company(db: Session, member: Member, **changes: object) -> Company:
    fields: dict[str, object] = {
        "name": "Atelier Bois SAS",
        "siren": "732 829 320",
        "created_on": dt.date(2026, 10, 2),
        "offer": "coworking",
    }
    fields.update(changes)
    return record_company(db, member, offers=OFFERS, site_id=SITE, now=NOW, **fields)  # type: ignore[arg-type]


def test_a_company_is_recorded_with_its_checked_siren_offer_and_site(db: Session) -> None:
    camille = registry.add_member(db, "Camille")
    company = _company(db, camille)
    assert (company.siren, company.offer, company.site_id) == ("732829320", "coworking", SITE)
    assert (company.member_id, company.created_on) == (camille.id, dt.date(2026, 10, 2))
    assert company.recorded_at == NOW


def test_a_company_is_refused_for_a_bad_siren_an_unknown_offer_a_future_day(
    db: Session,
) -> None:
    camille = registry.add_member(db, "Camille")
    with pytest.raises(InvalidSiren):
        _company(db, camille, siren="732829321")
    with pytest.raises(UnknownOffer, match=r"'incubator'.*coworking, fablab"):
        _company(db, camille, offer="incubator")
    with pytest.raises(InvalidInput, match="in the future"):
        _company(db, camille, created_on=NOW.date() + dt.timedelta(days=1))
    with pytest.raises(InvalidInput, match="name"):
        _company(db, camille, name="  ")
    assert db.scalars(select(Company)).all() == []


def test_a_company_name_follows_the_field_rules(db: Session) -> None:
    camille = registry.add_member(db, "Camille")
    for name, rule in (("x" * 201, Rule.TOO_LONG), ("Atelier\u202e", Rule.CONTROL_CHARACTER)):
        with pytest.raises(FieldRefused) as refused:
            _company(db, camille, name=name)
        assert (refused.value.field, refused.value.rule) == (Field.COMPANY_NAME, rule)
    assert _company(db, camille, name=" Cafe\u0301 SAS ").name == "Café SAS"  # NFC


def test_a_siren_is_counted_once(db: Session) -> None:
    camille = registry.add_member(db, "Camille")
    leo = registry.add_member(db, "Léo")
    _company(db, camille)
    with pytest.raises(Conflict, match="732829320 is already recorded"):
        _company(db, leo, name="Autre", siren="732829320")


def test_forget_unlinks_skills_and_companies_and_keeps_them(db: Session) -> None:
    camille = registry.add_member(db, "Camille")
    zoe = registry.add_member(db, "Zoé")
    record_skill(db, camille, "pix", catalogue=CATALOGUE, site_id=SITE, on=NOW.date())
    record_skill(db, zoe, "pix", catalogue=CATALOGUE, site_id=SITE, on=NOW.date())
    _company(db, camille)
    forget(db, camille, now=NOW)
    skills = db.scalars(select(SkillRecord)).all()
    assert sorted(str(s.member_id) for s in skills) == sorted(["None", str(zoe.id)])
    [company] = db.scalars(select(Company)).all()
    assert company.member_id is None and company.siren == "732829320"  # still a figure


def test_export_holds_the_persons_skills_and_companies_only(db: Session) -> None:
    camille = registry.add_member(db, "Camille")
    zoe = registry.add_member(db, "Zoé")
    for who in (camille, zoe):
        record_skill(db, who, "messagerie", catalogue=CATALOGUE, site_id=SITE, on=NOW.date())
    _company(db, camille)
    _company(db, zoe, siren="552100554", name="Zoé SARL")
    data = export(db, camille)
    assert [s["skill"] for s in data["skills"]] == ["messagerie"]
    assert all(s["member_id"] == str(camille.id) for s in data["skills"])
    assert [(c["siren"], c["name"]) for c in data["companies"]] == [
        ("732829320", "Atelier Bois SAS")
    ]


# ---- the commands ------------------------------------------------------------------


@pytest.fixture
def cli(site_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], Engine]:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("STATION_DATABASE_URL", site_db)
    engine = make_engine(site_db)
    with Session(engine) as session, session.begin():
        registry.add_member(session, "Camille", "Martin", email="c@example.fr")
    return ["--config", str(config), "member"], engine


def test_member_skill_refuses_a_skill_outside_the_catalogue_with_exit_2(
    cli: tuple[list[str], Engine], capsys: pytest.CaptureFixture[str]
) -> None:
    base, engine = cli
    assert main([*base, "skill", "c@example.fr", "cuisine"]) == 2
    err = capsys.readouterr().err
    assert "cuisine" in err and "demarches-en-ligne, messagerie, pix" in err
    assert main([*base, "skill", "c@example.fr", "pix", "--on", "2026-11-03", "--by", "Inès"]) == 0
    with Session(engine) as session:
        [record] = session.scalars(select(SkillRecord)).all()
    assert (record.skill, record.recorded_on, record.recorded_by, record.site_id) == (
        "pix",
        dt.date(2026, 11, 3),
        "Inès",
        SITE,
    )
    engine.dispose()


def test_member_company_checks_the_siren_and_the_offer_with_exit_2(
    cli: tuple[list[str], Engine], capsys: pytest.CaptureFixture[str]
) -> None:
    base, engine = cli
    company = [*base, "company", "c@example.fr", "--name", "Atelier Bois", "--created"]
    assert main([*company, "2026-10-02", "--siren", "732829321", "--offer", "coworking"]) == 2
    assert "Luhn" in capsys.readouterr().err
    assert main([*company, "2026-10-02", "--siren", "73282932", "--offer", "coworking"]) == 2
    assert "8 digits" in capsys.readouterr().err
    assert main([*company, "2026-10-02", "--siren", "732829320", "--offer", "bakery"]) == 2
    assert "coworking, fablab, creativity, digital-help, event" in capsys.readouterr().err
    assert (
        main([*company, "2026-10-02", "--siren", "732829320", "--offer", "coworking", "--json"])
        == 0
    )
    shown = json.loads(capsys.readouterr().out)
    assert (shown["siren"], shown["offer"], shown["created_on"]) == (
        "732829320",
        "coworking",
        "2026-10-02",
    )
    with Session(engine) as session:
        [stored] = session.scalars(select(Company)).all()
    assert (stored.site_id, stored.name) == (SITE, "Atelier Bois")
    engine.dispose()
