"""/members/<id>/badges: a badge enrolled by its typed UID (the field rules of
station.fields), and revoked by POST /members/<id>/badges/<badge id>/revoke."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from station import registry
from station.credential import Credential
from station.db import Badge, BadgeStatus
from station.db.staff import AuditAction, Role
from tests.console.conftest import log_in
from tests.support.console_people import BADGE_KEY, add_person, app, audit_rows, person, token

__all__ = ["app"]


def enrol(sessions: sessionmaker[Session], member_id: object, uid: str) -> Badge:
    with sessions() as db, db.begin():
        member = registry.find_member(db, str(member_id))
        return registry.enroll_badge(db, member, Credential.uid(uid), BADGE_KEY)


def test_reception_enrols_a_badge_typed_with_separators(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/badges"
    data = {"uid": "04:a1:b2:c3", "badge_label": "carte bleue", "csrf": token(client, path)}
    answer = client.post(path, data=data)
    assert answer.status_code == 303
    (badge,) = person(sessions, member_id).badges
    assert badge.hash == Credential.uid("04A1B2C3").keyed_hash(BADGE_KEY)
    assert badge.label == "carte bleue" and badge.revision > 0 and not badge.dirty
    (entry,) = audit_rows(sessions, AuditAction.BADGE_ENROLLED)
    assert entry.detail["badge"] == str(badge.id)
    assert "Badge enrôlé" in client.get(answer.headers["location"]).text


@pytest.mark.parametrize(
    ("uid", "words"),
    [
        ("04A1", "4, 7 ou 10 octets"),  # the 2-byte "UID"
        ("04A1B2ZZ", "hexadécimal"),
        ("", "hexadécimal"),
        ("04A1B2C3D4", "4, 7 ou 10 octets"),  # 5 bytes
    ],
)
def test_a_uid_of_the_wrong_length_or_not_hex_is_refused(
    client: TestClient,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
    uid: str,
    words: str,
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/badges"
    answer = client.post(path, data={"uid": uid, "csrf": token(client, path)})
    assert answer.status_code == 422
    assert 'id="badge-error"' in answer.text and words in answer.text
    assert person(sessions, member_id).badges == []


def test_a_badge_held_by_someone_else_names_them(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    holder = add_person(sessions, "Lucas", "Dubois", email="lucas@example.fr")
    enrol(sessions, holder, "04A1B2C3")
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/badges"
    answer = client.post(path, data={"uid": "04a1b2c3", "csrf": token(client, path)})
    assert answer.status_code == 422 and "déjà celui de Lucas Dubois" in answer.text


def test_revoke_then_the_badge_is_refused_and_can_be_given_again(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    badge = enrol(sessions, member_id, "04A1B2C3")
    log_in(client, accounts[Role.RECEPTION])
    page = client.get(f"/members/{member_id}/badges").text
    revoke = f"/members/{member_id}/badges/{badge.id}/revoke"
    assert f'action="{revoke}"' in page
    answer = client.post(revoke, data={"csrf": token(client, f"/members/{member_id}/badges")})
    assert answer.status_code == 303
    (revoked,) = person(sessions, member_id).badges
    assert revoked.status is BadgeStatus.REVOKED and revoked.revoked_at is not None
    assert revoked.revision > badge.revision  # a new revision: the sites' grants drop it
    (entry,) = audit_rows(sessions, AuditAction.BADGE_REVOKED)
    assert entry.detail == {
        "name": "Camille Martin",
        "site": "gare",
        "badge": str(badge.id),
        "label": "",
        "status": "revoked",
    }
    other = add_person(sessions, "Lucas", "Dubois", email="lucas@example.fr")
    path = f"/members/{other}/badges"
    assert (
        client.post(path, data={"uid": "04A1B2C3", "csrf": token(client, path)}).status_code == 303
    )


def test_a_badge_said_lost(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    badge = enrol(sessions, member_id, "04A1B2C3D4E5F6")
    log_in(client, accounts[Role.MANAGER])
    csrf = token(client, f"/members/{member_id}/badges")
    client.post(
        f"/members/{member_id}/badges/{badge.id}/revoke", data={"status": "lost", "csrf": csrf}
    )
    assert person(sessions, member_id).badges[0].status is BadgeStatus.LOST


def test_another_persons_badge_is_not_found_here(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    holder = add_person(sessions, "Lucas", "Dubois", email="lucas@example.fr")
    badge = enrol(sessions, holder, "04A1B2C3")
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    csrf = token(client, f"/members/{member_id}/badges")
    answer = client.post(f"/members/{member_id}/badges/{badge.id}/revoke", data={"csrf": csrf})
    assert answer.status_code == 404
    assert person(sessions, holder).badges[0].status is BadgeStatus.ACTIVE
