"""A person's page and badges page say which badges are secure and whether the person is
secure-only; POST /members/<id>/secure-only sets it, audited, for the sites' next sync."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from station import registry
from station.credential import Credential, CredentialKind
from station.db.staff import AuditAction, Role
from tests.console.conftest import log_in
from tests.support.console_people import BADGE_KEY, add_person, app, audit_rows, person, token

__all__ = ["app"]

CARD = Credential(CredentialKind.SECURE, bytes(range(16)))


def test_the_pages_name_each_badges_kind(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    with sessions() as db, db.begin():
        member = registry.find_member(db, str(member_id))
        registry.enroll_badge(db, member, Credential.uid("04A1B2C3"), BADGE_KEY, label="carte")
        registry.enroll_badge(db, member, CARD, BADGE_KEY, label="DESFire")
    log_in(client, accounts[Role.RECEPTION])
    page = client.get(f"/members/{member_id}").text
    assert "UID simple (copiable)" in page and "sécurisé (DESFire)" in page
    assert '<dd id="secure-only">non</dd>' in page
    badges = client.get(f"/members/{member_id}/badges").text
    assert "sécurisé (DESFire)" in badges
    assert "N&#39;accepter que ses badges sécurisés" in badges
    assert "Aucun badge sécurisé actif" not in badges  # she has one


def test_reception_makes_a_person_secure_only_and_back(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/badges"
    warned = client.get(path).text
    assert "Aucun badge sécurisé actif" in warned  # none yet: nothing would open
    answer = client.post(
        f"/members/{member_id}/secure-only", data={"secure_only": "on", "csrf": token(client, path)}
    )
    assert answer.status_code == 303
    stored = person(sessions, member_id)
    assert stored.secure_only is True and stored.revision > 0  # for the sites' sync
    (entry,) = audit_rows(sessions, AuditAction.MEMBER_CORRECTED)
    assert entry.detail["secure_only"] is True
    shown = client.get(answer.headers["location"]).text
    assert "prochaine synchronisation" in shown and "Accepter aussi ses UID simples" in shown
    assert "oui : ses UID simples" in client.get(f"/members/{member_id}").text
    client.post(
        f"/members/{member_id}/secure-only",
        data={"secure_only": "off", "csrf": token(client, path)},
    )
    assert person(sessions, member_id).secure_only is False
    assert len(audit_rows(sessions, AuditAction.MEMBER_CORRECTED)) == 2


def test_a_bad_value_or_no_token_changes_nothing(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/badges"
    target = f"/members/{member_id}/secure-only"
    bad = client.post(target, data={"secure_only": "maybe", "csrf": token(client, path)})
    assert bad.status_code == 422
    forged = client.post(target, data={"secure_only": "on"})
    assert forged.status_code in (400, 403)
    assert person(sessions, member_id).secure_only is False
    assert audit_rows(sessions, AuditAction.MEMBER_CORRECTED) == []


def test_a_fabmanager_may_not(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.FABMANAGER])
    answer = client.post(f"/members/{member_id}/secure-only", data={"secure_only": "on"})
    assert answer.status_code == 403
    assert person(sessions, member_id).secure_only is False
