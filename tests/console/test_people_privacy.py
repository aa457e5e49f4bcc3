"""A person's data exported (POST /members/<id>/export), and forgotten everywhere after
the confirmation page (/members/<id>/forget) with their name typed."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from station import registry
from station.credential import Credential
from station.db import Badge, Member, Visit
from station.db.staff import AuditAction, AuditEntry, Role
from station.privacy import ERASED
from tests.console.conftest import START, log_in
from tests.support.console_people import BADGE_KEY, add_person, app, audit_rows, person, token

__all__ = ["app"]


def test_reception_exports_what_central_holds(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    csrf = token(client, f"/members/{member_id}")
    answer = client.post(f"/members/{member_id}/export", data={"csrf": csrf})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert "attachment" in answer.headers["content-disposition"]
    data = json.loads(answer.text)
    assert data["member"]["email"] == "camille@example.fr"
    assert data["memberships"][0]["plan"] == "member"
    assert len(audit_rows(sessions, AuditAction.MEMBER_EXPORTED)) == 1
    assert client.get(f"/members/{member_id}/export").status_code == 405  # a download is asked


def test_the_confirmation_page_says_the_consequences(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions, origin_site="gare")
    log_in(client, accounts[Role.MANAGER])
    page = client.get(f"/members/{member_id}/forget").text
    for words in ("définitif", "Ce qui est effacé", "Ce qui reste", "anonymes", "chaque site"):
        assert words in page
    assert person(sessions, member_id).deleted_at is None  # asking erases nothing


def test_forgetting_needs_the_name_typed(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions, origin_site="gare")
    log_in(client, accounts[Role.MANAGER])
    path = f"/members/{member_id}/forget"
    for typed in ("", "Camille", "Camille Martel"):
        answer = client.post(path, data={"name": typed, "csrf": token(client, path)})
        assert answer.status_code == 422 and 'id="name-error"' in answer.text
    assert person(sessions, member_id).deleted_at is None
    assert audit_rows(sessions, AuditAction.MEMBER_FORGOTTEN) == []


def test_a_person_forgotten_everywhere(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions, origin_site="gare")
    with sessions() as db, db.begin():
        member = db.get(Member, member_id)
        assert member is not None
        registry.enroll_badge(db, member, Credential.uid("04A1B2C3"), BADGE_KEY)
        db.add(
            Visit(
                site_id="gare",
                member_id=member_id,
                kiosk_id="entrance",
                purpose="coworking",
                space="coworking",
                checked_in_at=START,
            )
        )
    log_in(client, accounts[Role.MANAGER])
    path = f"/members/{member_id}/edit"
    data = {"first_name": "Camille", "last_name": "Martin", "email": "c.martin@example.fr"}
    client.post(path, data={**data, "csrf": token(client, path)})
    path = f"/members/{member_id}/forget"
    answer = client.post(path, data={"name": " camille  MARTIN ", "csrf": token(client, path)})
    assert answer.status_code == 303 and answer.headers["location"] == "/members?done=forgotten"
    assert "La personne est effacée" in client.get(answer.headers["location"]).text
    with sessions() as db:
        gone = db.get(Member, member_id)
        assert gone is not None and gone.deleted_at is not None and gone.revision > 0
        assert (gone.first_name, gone.email) == (ERASED, None)
        badge = db.scalar(select(Badge).where(Badge.member_id == member_id))
        assert badge is not None and badge.deleted_at is not None  # a tombstone for the sites
        visit = db.scalar(select(Visit))
        assert visit is not None and visit.member_id is None  # a figure, no longer anyone's
        entries = list(db.scalars(select(AuditEntry).where(AuditEntry.target == str(member_id))))
    # The log still says what was done to the record, no longer whose it was.
    assert {e.action for e in entries} >= {
        AuditAction.MEMBER_CORRECTED,
        AuditAction.MEMBER_FORGOTTEN,
    }
    assert not any("camille" in json.dumps(e.detail).lower() for e in entries)
    assert client.get(f"/members/{member_id}").status_code == 404


def test_a_manager_forgets_only_the_people_of_their_site(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    elsewhere = add_person(sessions, origin_site="port")
    at_central = add_person(sessions, "Lucas", "Dubois", email="l@example.fr")
    log_in(client, accounts[Role.MANAGER])
    csrf = token(client, f"/members/{elsewhere}")
    for member_id, name in ((elsewhere, "Camille Martin"), (at_central, "Lucas Dubois")):
        assert client.get(f"/members/{member_id}/forget").status_code == 403
        answer = client.post(f"/members/{member_id}/forget", data={"name": name, "csrf": csrf})
        assert answer.status_code == 403
        assert person(sessions, member_id).deleted_at is None
    log_in(client, accounts[Role.ADMIN])
    path = f"/members/{elsewhere}/forget"
    data = {"name": "Camille Martin", "csrf": token(client, path)}
    assert client.post(path, data=data).status_code == 303
