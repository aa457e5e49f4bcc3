"""A person's record written from the console on a PostgreSQL central, as in production:
registered, corrected, renewed, a badge enrolled and revoked, forgotten; each write with
its revision (what carries it to the sites) and its audit entry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from station.db import Badge, BadgeStatus, Member, make_engine
from station.db.staff import AuditAction, AuditEntry, Role
from tests.console.conftest import log_in
from tests.support.console_people import app, token

__all__ = ["app"]
pytestmark = pytest.mark.postgres


@pytest.fixture
def central_engine(pg_migrated_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_migrated_url)
    yield engine
    engine.dispose()


def test_a_persons_record_on_postgresql(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    log_in(client, accounts[Role.MANAGER])
    new = {
        "first_name": "Élodie",
        "last_name": "Marchand",
        "email": "elodie@example.fr",
        "home_commune": "62765",
        "kind": "member",
        "plan": "member",
    }
    answer = client.post("/members/new", data={**new, "csrf": token(client, "/members/new")})
    assert answer.status_code == 303
    member_id = answer.headers["location"].split("/")[2].split("?")[0]
    edit = f"/members/{member_id}/edit"
    corrected = {**new, "email": "elodie.marchand@example.fr"}
    assert client.post(edit, data={**corrected, "csrf": token(client, edit)}).status_code == 303
    taken = {**new, "first_name": "Eve", "email": "ELODIE.marchand@example.fr"}
    refused = client.post("/members/new", data={**taken, "csrf": token(client, "/members/new")})
    assert refused.status_code == 422  # lower() at PostgreSQL finds the holder too
    renew = f"/members/{member_id}/renew"
    assert (
        client.post(renew, data={"plan": "member", "csrf": token(client, renew)}).status_code == 303
    )
    badges = f"/members/{member_id}/badges"
    client.post(badges, data={"uid": "04A1B2C3D4E5F6", "csrf": token(client, badges)})
    with sessions() as db:
        badge = db.scalar(select(Badge))
        assert badge is not None
    revoke = f"/members/{member_id}/badges/{badge.id}/revoke"
    assert client.post(revoke, data={"csrf": token(client, badges)}).status_code == 303
    with sessions() as db:
        member = db.scalar(select(Member).where(Member.email == "elodie.marchand@example.fr"))
        assert member is not None and member.revision > 0 and member.origin_site == "gare"
        assert len(member.memberships) == 2
        revoked = db.get(Badge, badge.id)
        assert revoked is not None and revoked.status is BadgeStatus.REVOKED
        assert revoked.revision > badge.revision
    forget = f"/members/{member_id}/forget"
    data = {"name": "Élodie Marchand", "csrf": token(client, forget)}
    assert client.post(forget, data=data).status_code == 303
    with sessions() as db:
        entries = list(db.scalars(select(AuditEntry).where(AuditEntry.target == member_id)))
        gone = db.get(Member, member.id)
        assert gone is not None and gone.deleted_at is not None
    assert {e.action for e in entries} == {
        AuditAction.MEMBER_CREATED,
        AuditAction.MEMBER_CORRECTED,
        AuditAction.MEMBERSHIP_RENEWED,
        AuditAction.BADGE_ENROLLED,
        AuditAction.BADGE_REVOKED,
        AuditAction.MEMBER_FORGOTTEN,
    }
    assert all("lodie" not in str(e.detail) for e in entries)
