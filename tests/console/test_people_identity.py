"""/members/new and /members/<id>/edit: a person created and corrected, every field's
rule said next to its field (422, the form kept), the audit entry written."""

from __future__ import annotations

import html as html_text
import re

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from station.db import Member, MemberKind
from station.db.live import live
from station.db.staff import AuditAction, Role
from tests.console.conftest import log_in
from tests.support.console_people import add_person, app, audit_rows, person, token

__all__ = ["app"]  # the fixture: the console with the sample configuration

NEW = {
    "first_name": "Élodie",
    "last_name": "Marchand",
    "email": "elodie@example.fr",
    "home_commune": "62765",
    "birth_year": "1990",
    "kind": "member",
    "plan": "resident",
    "until": "",
    "consent": "yes",
}


def error_of(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return html_text.unescape(found.group(1)) if found else ""


def test_reception_creates_a_person_with_a_membership(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    assert log_in(client, accounts[Role.RECEPTION]) == 303
    answer = client.post("/members/new", data={**NEW, "csrf": token(client, "/members/new")})
    assert answer.status_code == 303
    member_id = answer.headers["location"].split("/")[2].split("?")[0]
    with sessions() as db:
        member = db.scalar(select(Member).where(Member.email == "elodie@example.fr"))
        assert member is not None and str(member.id) == member_id
        assert (member.home_commune, member.birth_year, member.kind) == (
            "62765",
            1990,
            MemberKind.MEMBER,
        )
        assert member.consent_at is not None and member.origin_site == "gare"
        assert member.revision > 0 and not member.dirty  # central's row: sync carries it down
        (membership,) = member.memberships
        assert membership.plan == "resident" and str(membership.valid_until) == "2027-03-09"
    page = client.get(answer.headers["location"]).text
    assert "Personne inscrite." in page and "Élodie Marchand" in page
    (entry,) = audit_rows(sessions, AuditAction.MEMBER_CREATED)
    assert entry.account == accounts[Role.RECEPTION] and entry.target == member_id
    assert entry.detail["plan"] == "resident" and entry.remote_address


def test_every_refusal_is_named_next_to_its_field_and_nothing_is_written(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    add_person(sessions, email="taken@example.fr")
    log_in(client, accounts[Role.RECEPTION])
    typed = {
        **NEW,
        "first_name": "Eve\u202e",
        "last_name": "x" * 101,
        "email": "Taken@example.fr",
        "home_commune": "99999",
        "birth_year": "1850",
        "kind": "staff",  # reception makes nobody staff
        "plan": "gold",
        "until": "2020-01-01",
    }
    answer = client.post("/members/new", data={**typed, "csrf": token(client, "/members/new")})
    assert answer.status_code == 422
    html = answer.text
    assert "caractère invisible" in error_of(html, "first_name")
    assert "100 caractères au plus" in error_of(html, "last_name")
    assert "déjà celle d'une autre personne" in error_of(html, "email")
    assert "Commune inconnue" in error_of(html, "home_commune")
    assert "1900" in error_of(html, "birth_year")
    assert error_of(html, "kind") and error_of(html, "plan") == "Formule inconnue."
    assert "passée" in error_of(html, "until")
    assert 'value="Taken@example.fr"' in html and "x" * 101 in html  # the form is kept
    with sessions() as db:
        assert db.scalar(select(Member).where(Member.first_name.like("Eve%"))) is None
    assert audit_rows(sessions, AuditAction.MEMBER_CREATED) == []


def test_a_birth_year_that_is_no_number_and_a_missing_first_name(
    client: TestClient, accounts: dict[Role, str]
) -> None:
    log_in(client, accounts[Role.MANAGER])
    data = {
        **NEW,
        "first_name": "  ",
        "birth_year": "quatre-vingt",
        "csrf": token(client, "/members/new"),
    }
    html = client.post("/members/new", data=data).text
    assert error_of(html, "first_name") == "Obligatoire."
    assert "1900" in error_of(html, "birth_year")


def test_a_person_without_membership(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    log_in(client, accounts[Role.ADMIN])
    data = {**NEW, "plan": "", "kind": "staff", "csrf": token(client, "/members/new")}
    answer = client.post("/members/new", data=data)
    assert answer.status_code == 303
    with sessions() as db:
        member = db.scalar(select(Member).where(Member.email == "elodie@example.fr"))
        assert member is not None and member.memberships == [] and member.kind is MemberKind.STAFF
        assert member.origin_site is None  # the administrator registers for no one site


def test_reception_corrects_the_email_and_the_commune(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    before = person(sessions, member_id).revision
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/edit"
    form = client.get(path).text
    assert 'value="camille@example.fr"' in form and 'name="kind"' not in form
    data = {
        "first_name": "Camille",
        "last_name": "Martin",
        "email": " camille.martin@example.fr ",
        "home_commune": "62014",
        "birth_year": "",
        "kind": "staff",  # not offered to reception, and ignored
        "csrf": token(client, path),
    }
    answer = client.post(path, data=data)
    assert answer.status_code == 303 and answer.headers["location"].endswith("?done=corrected")
    after = person(sessions, member_id)
    assert (after.email, after.home_commune, after.kind) == (
        "camille.martin@example.fr",
        "62014",
        MemberKind.MEMBER,
    )
    assert after.revision > before and not after.dirty
    (entry,) = audit_rows(sessions, AuditAction.MEMBER_CORRECTED)
    assert entry.detail["changes"] == {
        "email": ["camille@example.fr", "camille.martin@example.fr"],
        "home_commune": [None, "62014"],
    }
    page = client.get(answer.headers["location"]).text
    assert "camille.martin@example.fr" in page and "Fiche corrigée" in page


def test_a_correction_to_another_persons_email_is_refused(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    add_person(sessions, "Lucas", "Dubois", email="lucas@example.fr")
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/edit"
    data = {"first_name": "Camille", "last_name": "Martin", "email": "LUCAS@example.fr"}
    answer = client.post(path, data={**data, "csrf": token(client, path)})
    assert answer.status_code == 422 and "déjà celle" in error_of(answer.text, "email")
    assert person(sessions, member_id).email == "camille@example.fr"
    assert audit_rows(sessions, AuditAction.MEMBER_CORRECTED) == []


def test_the_same_email_kept_and_nothing_changed(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/edit"
    data = {"first_name": "Camille", "last_name": "Martin", "email": "camille@example.fr"}
    answer = client.post(path, data={**data, "csrf": token(client, path)})
    assert answer.headers["location"].endswith("?done=unchanged")
    assert audit_rows(sessions, AuditAction.MEMBER_CORRECTED) == []


def test_a_manager_makes_someone_staff(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.MANAGER])
    path = f"/members/{member_id}/edit"
    data = {
        "first_name": "Camille",
        "last_name": "Martin",
        "email": "camille@example.fr",
        "kind": "staff",
    }
    assert client.post(path, data={**data, "csrf": token(client, path)}).status_code == 303
    assert person(sessions, member_id).kind is MemberKind.STAFF


def test_an_erased_or_unknown_person_is_not_found(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    log_in(client, accounts[Role.RECEPTION])
    assert client.get("/members/5b6e8f3a-0000-4000-8000-000000000000/edit").status_code == 404
    assert client.get("/members/not-an-id/edit").status_code == 404
    with sessions() as db:
        assert db.scalar(select(Member).where(live(Member))) is None
