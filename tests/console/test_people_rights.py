"""/members/<id>/trainings and /members/<id>/pin: trainings granted (by whom) and
revoked, a staff PIN set and cleared; their refusals, their audit entries."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from station import staff_pin
from station.db import MemberKind
from station.db.live import live_rows
from station.db.staff import AuditAction, Role
from tests.console.conftest import log_in
from tests.support.console_people import add_person, add_training, app, audit_rows, person, token

__all__ = ["app"]


def test_a_fabmanager_grants_a_training_naming_the_trainer_then_revokes_it(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    add_training(sessions, "laser", days=365)
    member_id = add_person(sessions)
    log_in(client, accounts[Role.FABMANAGER])
    path = f"/members/{member_id}/trainings"
    data = {"training": "laser", "granted_by": "Noémie (fabmanager)", "csrf": token(client, path)}
    assert client.post(path, data=data).status_code == 303
    (held,) = live_rows(person(sessions, member_id).trainings)
    assert held.granted_by == "Noémie (fabmanager)" and held.revision > 0
    assert held.expires_at is not None and str(held.expires_at.date()) == "2027-03-10"
    (entry,) = audit_rows(sessions, AuditAction.TRAINING_GRANTED)
    assert entry.detail["training"] == "laser" and entry.detail["granted_by"].startswith("Noémie")
    page = client.get(path).text
    assert "Noémie (fabmanager)" in page
    revoke = f"/members/{member_id}/trainings/laser/revoke"
    assert client.post(revoke, data={"csrf": token(client, path)}).status_code == 303
    assert live_rows(person(sessions, member_id).trainings) == []
    assert len(audit_rows(sessions, AuditAction.TRAINING_REVOKED)) == 1
    assert client.post(revoke, data={"csrf": token(client, path)}).status_code == 404


def test_a_grant_needs_a_known_training_and_its_trainer(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    add_training(sessions, "laser")
    member_id = add_person(sessions)
    log_in(client, accounts[Role.MANAGER])
    path = f"/members/{member_id}/trainings"
    data = {"training": "welding", "granted_by": " ", "csrf": token(client, path)}
    answer = client.post(path, data=data)
    assert answer.status_code == 422
    assert (
        'id="training-error"' in answer.text and 'id="granted_by-error">Obligatoire.' in answer.text
    )
    assert live_rows(person(sessions, member_id).trainings) == []


def test_reception_does_not_grant_trainings(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    add_training(sessions, "laser")
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/trainings"
    assert client.get(path).status_code == 403
    csrf = token(client, f"/members/{member_id}")
    answer = client.post(path, data={"training": "laser", "granted_by": "x", "csrf": csrf})
    assert answer.status_code == 403 and live_rows(person(sessions, member_id).trainings) == []


def test_a_manager_sets_and_clears_a_pin_of_their_sites_staff(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions, kind=MemberKind.STAFF, origin_site="gare")
    log_in(client, accounts[Role.MANAGER])
    path = f"/members/{member_id}/pin"
    data = {"pin": "4821", "pin_again": "4821", "csrf": token(client, path)}
    answer = client.post(path, data=data)
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=pin_set")
    member = person(sessions, member_id)
    assert member.staff_pin_hash is not None and member.staff_pin_hash.startswith("$argon2id$")
    (entry,) = audit_rows(sessions, AuditAction.STAFF_PIN_SET)
    assert "4821" not in str(entry.detail)  # the PIN is never in the log
    clear = {"clear": "yes", "csrf": token(client, path)}
    assert client.post(path, data=clear).status_code == 303
    assert person(sessions, member_id).staff_pin_hash is None
    assert len(audit_rows(sessions, AuditAction.STAFF_PIN_CLEARED)) == 1


def test_pin_refusals(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    staff = add_person(sessions, kind=MemberKind.STAFF, origin_site="gare")
    member = add_person(sessions, "Lucas", "Dubois", email="l@example.fr", origin_site="gare")
    log_in(client, accounts[Role.MANAGER])
    for member_id, pin, again, field in [
        (staff, "12a4", "12a4", "pin"),
        (staff, "123", "123", "pin"),
        (staff, "4821", "4812", "pin_again"),
        (member, "4821", "4821", "pin"),  # not staff
    ]:
        path = f"/members/{member_id}/pin"
        data = {"pin": pin, "pin_again": again, "csrf": token(client, path)}
        answer = client.post(path, data=data)
        assert answer.status_code == 422 and f'id="{field}-error"' in answer.text, (pin, again)
        assert pin not in _words_of_main(answer.text)  # never typed back
    assert person(sessions, staff).staff_pin_hash is None
    assert audit_rows(sessions, AuditAction.STAFF_PIN_SET) == []
    assert staff_pin.MIN_DIGITS == 4  # the words say "4 à 12"


# A form's CSRF token and the ids in its links are random: a PIN may stand in them by chance.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_RANDOM = re.compile(rf'name="csrf" value="[^"]*"|{_UUID}')


def _words_of_main(page: str) -> str:
    """The page's main content, without the random tokens and ids it carries."""
    return _RANDOM.sub("", page.split("<main", 1)[1].split(">", 1)[1])
