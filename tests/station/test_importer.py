"""The importer's domain: reading a sheet as it arrives, the mapping guessed from its
header, every problem row named, people already there found, nothing written twice."""

from __future__ import annotations

import codecs
import datetime as dt
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from station import registry
from station.credential import Credential
from station.db import Badge, Member, MemberKind, Membership, MemberTraining, Training, make_engine
from station.fields import Rule
from station.importer.apply import apply, serialize
from station.importer.existing import same_names
from station.importer.mapping import (
    Granted,
    Target,
    decode_mapping,
    encode_mapping,
    guess_mapping,
)
from station.importer.preview import preview
from station.importer.reading import read_sheet
from station.importer.values import ImportRule
from sync import central
from tests.support.import_sheets import BAD_ROWS, NO_CONSENT_ROWS, SAMPLE, sheet
from tests.support.postgres import indexes_used

KEY = b"importer-tests-key"
TODAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest) -> Iterator[sessionmaker[Session]]:
    """Central's writing sessions on a migrated SQLite file or PostgreSQL database."""
    fixture = "site_db" if request.param == "sqlite" else "pg_migrated_url"
    engine = make_engine(str(request.getfixturevalue(fixture)))
    yield central.sessions(engine)
    engine.dispose()


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_the_sample_sheet_is_read_as_it_arrives() -> None:
    read = read_sheet(SAMPLE.read_bytes())
    assert (read.encoding, read.delimiter) == ("cp1252", ";")
    assert read.headers[:3] == ["Nom", "Prénom", "Courriel"]
    assert len(read.rows) == 40 and read.rows[0][4] == "Dennebrœucq"


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        ("Prénom,Nom\r\nÉloïse,Dhaussy\r\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "Prénom,Nom\nÉloïse,Dhaussy\n".encode(), "utf-8-sig"),
        ("Prénom;Nom\nÉloïse;Dhaussy\n".encode("cp1252"), "cp1252"),
        ("Prénom\tNom\nÉloïse\tDhaussy\n".encode("latin-1"), "cp1252"),
        ("Prénom\tNom\r\nÉloïse\tDhaussy\r\n".encode("utf-16"), "utf-16"),  # BOM, tabs
    ],
)
def test_encodings_and_separators(encoded: bytes, encoding: str) -> None:
    read = read_sheet(encoded)
    assert read.encoding == encoding
    assert read.headers == ["Prénom", "Nom"] and read.rows == [["Éloïse", "Dhaussy"]]


def test_the_mapping_is_guessed_from_french_and_english_names() -> None:
    french = ["Nom", "Prénom", "Courriel", "Téléphone", "Commune", "Code postal",
              "Date d'inscription", "Formule", "Formation laser", "Accord RGPD"]  # fmt: skip
    assert guess_mapping(french) == [
        Target.LAST_NAME, Target.FIRST_NAME, Target.EMAIL, Target.IGNORE, Target.COMMUNE,
        Target.IGNORE, Target.JOINED, Target.PLAN, Target.IGNORE, Target.CONSENT,
    ]  # fmt: skip
    english = ["First name", "LAST NAME", "E-mail", "City", "Badge UID", "Birth year", "Mail"]
    assert guess_mapping(english) == [
        Target.FIRST_NAME, Target.LAST_NAME, Target.EMAIL, Target.COMMUNE, Target.BADGE,
        Target.BIRTH_YEAR, Target.IGNORE,  # a second email column is not guessed
    ]  # fmt: skip
    assert guess_mapping(["PRENOM", "Code INSEE", "Date d’adhésion"]) == [
        Target.FIRST_NAME, Target.COMMUNE, Target.JOINED,
    ]  # fmt: skip
    text = encode_mapping(guess_mapping(english))
    assert decode_mapping(text, 7) == guess_mapping(english)


def test_every_problem_of_the_sample_is_named(sessions: sessionmaker[Session]) -> None:
    with sessions() as db:
        shown = preview(db, SAMPLE.read_bytes(), None, today=TODAY, badge_key=KEY)
    problems = [(p.row, p.column, p.rule, p.hint) for p in shown.problems]
    refused = [(row, "Accord RGPD", ImportRule.NO_CONSENT, "") for row in NO_CONSENT_ROWS]
    assert sorted(problems) == sorted([
        (7, "Courriel", ImportRule.DUPLICATE_EMAIL, "5"),  # Lucas's address, again
        (11, "Date d'inscription", ImportRule.DATE, ""),  # 31 February
        (23, "Nom", Rule.REQUIRED, ""),  # no last name
        (29, "Courriel", Rule.EMAIL_FORMAT, ""),  # "pas-une-adresse"
        *refused,  # "non": never imported
    ])  # fmt: skip
    assert len(shown.new) == 29 and shown.present == []
    assert not {p.row for p in shown.new} & set(NO_CONSENT_ROWS)
    # The values read otherwise, with the consent column ignored (row 16 says "non").
    mapping = list(shown.mapping)
    mapping[9] = Target.IGNORE
    with sessions() as db:
        shown = preview(db, SAMPLE.read_bytes(), mapping, today=TODAY, badge_key=KEY)
    notes = {(n.row, n.note.kind.value, n.note.hint) for n in shown.notes}
    assert (16, "read_as", "Saint-Omer") in notes  # "St Omer"
    assert (35, "day_format", "14/07/2025") in notes  # 2025-07-14
    assert (19, "outside", "") in notes  # Calais
    by_row = {p.row: p for p in shown.new}
    assert by_row[16].home_commune == "62765" and by_row[19].home_commune == "00000"
    assert by_row[7 - 1].kind is MemberKind.MEMBER and by_row[2].plan == "adherent"
    assert by_row[10].kind is MemberKind.VISITOR  # Formule "Visiteur"


@pytest.mark.parametrize(
    ("header", "cell", "rule"),
    [
        ("Prénom", "A" * 101, Rule.TOO_LONG),
        ("Prénom", "Ann\u202eA", Rule.CONTROL_CHARACTER),
        ("Prénom", "", Rule.REQUIRED),
        ("Courriel", "x@", Rule.EMAIL_FORMAT),
        ("Commune", "Saint-Omerr", Rule.UNKNOWN_COMMUNE),
        ("Date d'inscription", "2025/13/01", ImportRule.DATE),
        ("Accord RGPD", "peut-être", ImportRule.YES_NO),
        ("Accord RGPD", "non", ImportRule.NO_CONSENT),
        ("Accord RGPD", "", ImportRule.NO_CONSENT),  # empty: no consent either
        ("Année de naissance", "1850", Rule.BIRTH_YEAR),
        ("Badge", "04A1", Rule.UID_LENGTH),
        ("Badge", "ZZ11ZZ11", Rule.NOT_HEX),
    ],
)
def test_each_problem_kind(
    sessions: sessionmaker[Session], header: str, cell: str, rule: Rule | ImportRule
) -> None:
    columns = ["Prénom", "Courriel", "Commune", "Date d'inscription", "Accord RGPD",
               "Année de naissance", "Badge"]  # fmt: skip
    good = ["Ana", "ana@exemple.fr", "Arques", "01/02/2025", "oui", "1990", "04A1B2C3"]
    bad = list(good)
    bad[columns.index(header)] = cell
    data = "\n".join(";".join(r) for r in (columns, bad)).encode()
    with sessions() as db:
        shown = preview(db, data, None, today=TODAY, badge_key=KEY)
    assert [(p.row, p.column, p.rule) for p in shown.problems] == [(2, header, rule)]
    assert shown.new == []


def test_a_person_who_did_not_consent_is_a_problem_row_never_written(
    sessions: sessionmaker[Session],
) -> None:
    rows = [
        "Prénom;Nom;Courriel;Accord RGPD",
        "Ana;Roux;ana@exemple.fr;oui",
        "Noé;Dupont;noe@exemple.fr;non",
        "Léa;Simon;lea@exemple.fr;NON",
    ]
    with sessions() as db, db.begin():
        shown = preview(db, "\n".join(rows).encode(), None, today=TODAY, badge_key=KEY)
        assert [(p.row, p.column, p.rule, p.value) for p in shown.problems] == [
            (3, "Accord RGPD", ImportRule.NO_CONSENT, "non"),
            (4, "Accord RGPD", ImportRule.NO_CONSENT, "NON"),
        ]
        done = apply(db, shown, now=NOW, badge_key=KEY)
        assert (done.created, done.problem_rows) == (1, 2)
    with sessions() as db:
        emails = db.scalars(select(Member.email)).all()
        assert emails == ["ana@exemple.fr"]


def test_repeats_within_the_file_and_a_badge_held(sessions: sessionmaker[Session]) -> None:
    with sessions() as db, db.begin():
        holder = registry.add_member(db, "Zoé", "Mercier", today=TODAY)
        registry.enroll_badge(db, holder, Credential.uid("04A1B2C3"), KEY)
    rows = [
        "Prénom;Nom;Courriel;Commune;Badge",
        "Ana;Roux;ana@exemple.fr;Arques;",
        "Anna;Roux;ANA@exemple.fr;Arques;",  # the same address, another case
        "Noé;Dupont;;Renty;04112233",
        "Noé;Dupont;;Renty;",  # no email, the same names and commune
        "Léa;Simon;lea@exemple.fr;;04:11:22:33",  # the badge of row 4
        "Jade;Dubois;jade@exemple.fr;;04A1B2C3",  # Zoé's badge
    ]
    with sessions() as db:
        shown = preview(db, "\n".join(rows).encode(), None, today=TODAY, badge_key=KEY)
    assert [(p.row, p.rule, p.hint) for p in shown.problems] == [
        (3, ImportRule.DUPLICATE_EMAIL, "2"),
        (5, ImportRule.DUPLICATE_PERSON, "4"),
        (6, ImportRule.DUPLICATE_BADGE, "4"),
        (7, ImportRule.BADGE_HELD, ""),
    ]
    assert [p.row for p in shown.new] == [2, 4]


def test_nothing_is_written_by_a_preview_and_a_second_run_creates_nobody(
    sessions: sessionmaker[Session],
) -> None:
    data = sheet(1000)
    with sessions() as db:
        started = time.perf_counter()
        shown = preview(db, data, None, today=TODAY, badge_key=KEY)
        assert _count(db, Member) == 0
    assert shown.problem_rows == sorted(BAD_ROWS)
    assert len(shown.new) == 997
    with sessions() as db, db.begin():
        serialize(db)  # what the console takes before confirming (PostgreSQL: a lock)
        done = apply(db, shown, now=NOW, badge_key=KEY)
    elapsed = time.perf_counter() - started
    assert (done.created, done.present, done.problem_rows) == (997, 0, 3)
    assert elapsed < 5, f"1,000 rows previewed and imported in {elapsed:.1f} s"
    with sessions() as db, db.begin():
        assert _count(db, Member) == 997 and _count(db, Membership) == 997
        again = preview(db, data, None, today=TODAY, badge_key=KEY)
        assert (len(again.new), len(again.present)) == (0, 997)
        assert apply(db, again, now=NOW, badge_key=KEY).created == 0
        assert _count(db, Member) == 997
        assert again.digest != shown.digest  # the outcome of every row is in it
        member = db.scalar(select(Member).where(Member.email == "personne7@exemple.fr"))
        assert member is not None and member.consent_at == dt.datetime(2025, 8, 8, tzinfo=dt.UTC)
        membership = db.scalar(select(Membership).where(Membership.member_id == member.id))
        assert membership is not None and membership.plan == "adherent"
        assert (membership.valid_from, membership.valid_until) == (
            dt.date(2025, 8, 8),
            dt.date(2026, 8, 7),
        )


def test_people_without_email_are_found_by_names_and_commune(
    sessions: sessionmaker[Session],
) -> None:
    # Capitals beyond ASCII, which SQLite's lower() keeps and PostgreSQL's lowers.
    sheet = "Prénom;Nom;Commune;Badge\nÉloïse;Dhaussy;Arques;04A1B2C3\nNoé;Dupont;;\nÈve;Écuyer;;\n"
    data = sheet.encode()
    with sessions() as db, db.begin():
        first = preview(db, data, None, today=TODAY, badge_key=KEY)
        apply(db, first, now=NOW, badge_key=KEY)
    with sessions() as db:
        again = preview(db, data, None, today=TODAY, badge_key=KEY)
        assert [p.row for p, _ in again.present] == [2, 3, 4] and again.problems == []
        assert _count(db, Badge) == 1
        # The same names in another commune are another person.
        other = preview(db, data.replace(b"Arques", b"Wizernes"), None, today=TODAY, badge_key=KEY)
        assert [p.rule for p in other.problems] == [ImportRule.BADGE_HELD]


@pytest.mark.postgres
def test_a_pair_of_names_is_one_probe_of_the_names_index(pg_migrated_url: str) -> None:
    """Before migration 0032 each pair was a scan of the first-name index and one of the
    last-name index, intersected: 11 ms for 250 people among 100,000 (bench_console's
    import preview). A registry of 40 first names by 50 last names, each pair once."""
    from sqlalchemy import text

    engine = make_engine(pg_migrated_url)
    try:
        with Session(engine) as db, db.begin():
            db.add_all(
                Member(first_name=f"Prénom{f}", last_name=f"Nom{n}")
                for f in range(40)
                for n in range(50)
            )
        with Session(engine) as db, db.begin():
            db.execute(text("ANALYZE members"))
            asked = same_names(db, [("Prénom3", "Nom7"), ("Prénom12", "Nom40")])
        indexes = indexes_used(engine, asked)
    finally:
        engine.dispose()
    assert indexes and set(indexes) == {"ix_members_search_names"}, indexes


def test_a_mapping_without_first_name_imports_nothing(sessions: sessionmaker[Session]) -> None:
    data = b"Nom;Courriel\nRoux;ana@exemple.fr\n"
    with sessions() as db:
        shown = preview(db, data, None, today=TODAY, badge_key=KEY)
        assert shown.mapping_problem is not None and shown.new == []
        chosen = preview(db, data, [Target.FIRST_NAME, Target.EMAIL], today=TODAY, badge_key=KEY)
        assert chosen.mapping_problem is None and chosen.new[0].first_name == "Roux"


def test_a_training_column_grants_the_training(sessions: sessionmaker[Session]) -> None:
    with sessions() as db, db.begin():
        db.add(Training(code="laser", name_fr="Découpe laser", name_en="Laser", valid_days=365))
    with sessions() as db, db.begin():
        shown = preview(db, SAMPLE.read_bytes(), None, today=TODAY, badge_key=KEY)
        assert shown.mapping[8] == Granted("laser")  # "Formation laser"
        assert encode_mapping(shown.mapping).split(",")[8] == "training:laser"
        by_row = {p.row: p for p in shown.new}
        assert by_row[3].trainings == ["laser"]  # "oui"
        assert by_row[13].trainings == ["laser"]  # "OUI"
        assert by_row[2].trainings == [] and by_row[10].trainings == []  # empty, "non"
        apply(db, shown, now=NOW, badge_key=KEY, granted_by="import inscriptions.csv")
    with sessions() as db:
        held = db.scalars(select(MemberTraining).join(Member).where(Member.last_name == "LEFÈVRE"))
        anais = [h for h in held if h.member.first_name == "Anaïs"]
        assert len(anais) == 1 and anais[0].granted_by == "import inscriptions.csv"
        assert anais[0].granted_at == dt.datetime(2025, 5, 29, tzinfo=dt.UTC)
        assert anais[0].expires_at == dt.datetime(2026, 5, 29, tzinfo=dt.UTC)
        unknown: list[Target | Granted] = [Target.FIRST_NAME, Granted("cnc")]
        assert preview(db, b"Prenom;CNC\nAna;oui\n", unknown, today=TODAY, badge_key=KEY).new == []
