"""Who may change what of a person (console.people_rules): each page by role, a manager's
site for a PIN and an erasure, and every form refused without its CSRF token."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from console.people_rules import ROLES, Write
from station.db import MemberKind
from station.db.staff import AuditAction, AuditEntry, Role
from tests.console.conftest import log_in
from tests.support.console_people import add_person, add_training, app

__all__ = ["app"]

PAGES = {
    Write.CREATE: "/members/new",
    Write.CORRECT: "/members/{id}/edit",
    Write.RENEW: "/members/{id}/renew",
    Write.BADGES: "/members/{id}/badges",
    Write.TRAININGS: "/members/{id}/trainings",
    Write.PIN: "/members/{id}/pin",
    Write.FORGET: "/members/{id}/forget",
    Write.OUTCOMES: "/members/{id}/outcomes",
}
POSTS = [
    "/members/new",
    "/members/{id}/edit",
    "/members/{id}/renew",
    "/members/{id}/badges",
    "/members/{id}/badges/{badge}/revoke",
    "/members/{id}/trainings",
    "/members/{id}/trainings/laser/revoke",
    "/members/{id}/pin",
    "/members/{id}/export",
    "/members/{id}/forget",
    "/members/{id}/outcomes/skill",
    "/members/{id}/outcomes/company",
]
PEOPLE_ACTIONS = [a for a in AuditAction if a.value.startswith(("member", "badge", "training"))]


@pytest.mark.parametrize("role", list(Role))
def test_each_page_opens_to_its_roles_only(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session], role: Role
) -> None:
    member_id = add_person(sessions, kind=MemberKind.STAFF, origin_site="gare")
    log_in(client, accounts[role])
    for write, path in PAGES.items():
        status = client.get(path.format(id=member_id)).status_code
        allowed = role is Role.ADMIN or role in ROLES[write]
        assert status == (200 if allowed else 403), (role, write, status)


def test_the_persons_page_links_what_the_role_may_do(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions, origin_site="gare")
    log_in(client, accounts[Role.RECEPTION])
    page = client.get(f"/members/{member_id}").text
    assert f'href="/members/{member_id}/edit"' in page
    assert f'href="/members/{member_id}/renew"' in page
    assert f'action="/members/{member_id}/export"' in page
    assert f'href="/members/{member_id}/forget"' not in page
    assert f'href="/members/{member_id}/trainings"' not in page
    log_in(client, accounts[Role.FABMANAGER])
    page = client.get(f"/members/{member_id}").text
    assert f'href="/members/{member_id}/trainings"' in page
    assert f'href="/members/{member_id}/edit"' not in page
    assert 'href="/members/new"' not in client.get("/members").text
    log_in(client, accounts[Role.RECEPTION])
    assert 'href="/members/new"' in client.get("/members").text


def test_a_managers_pin_and_erasure_stop_at_their_site(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    ours = add_person(sessions, kind=MemberKind.STAFF, origin_site="gare")
    theirs = add_person(sessions, "Lucas", "Dubois", email="l@example.fr", origin_site="port")
    log_in(client, accounts[Role.MANAGER])
    assert client.get(f"/members/{ours}/pin").status_code == 200
    for path in ("pin", "forget"):
        assert client.get(f"/members/{theirs}/{path}").status_code == 403
    # The everyday writes are for anyone, whichever site they registered at.
    assert client.get(f"/members/{theirs}/edit").status_code == 200
    page = client.get(f"/members/{theirs}").text
    assert f'href="/members/{theirs}/pin"' not in page
    assert f'href="/members/{ours}/pin"' in client.get(f"/members/{ours}").text


@pytest.mark.parametrize("path", POSTS)
def test_every_form_without_its_csrf_token_is_refused(
    client: TestClient,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
    path: str,
) -> None:
    add_training(sessions)
    member_id = add_person(sessions, kind=MemberKind.STAFF, origin_site="gare")
    log_in(client, accounts[Role.ADMIN])
    url = path.format(id=member_id, badge="5b6e8f3a-0000-4000-8000-000000000000")
    data = {"first_name": "Eve", "name": "Camille Martin", "pin": "4821", "pin_again": "4821"}
    assert client.post(url, data=data).status_code == 403
    assert client.post(url, data={**data, "csrf": "forged"}).status_code == 403
    with sessions() as db:
        written = db.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action.in_(PEOPLE_ACTIONS))
        )
    assert written == 0
