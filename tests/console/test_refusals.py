"""/refusals and /merge: who may see and do what, marking a refusal dealt with, the
duplicates by email, and a merge refused by a field rule that writes nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from station import registry
from station.db import Member
from station.db.refusals import CentralRefusal, RefusalReason
from station.db.staff import AuditAction, AuditEntry, Role
from tests.console.conftest import START, csrf_of, log_in


def person(sessions: sessionmaker[Session], first: str, email: str | None = None) -> uuid.UUID:
    with sessions() as db, db.begin():
        return registry.add_member(db, first, "Durand", email=email, today=START.date()).id


def refused(
    sessions: sessionmaker[Session], site: str, member: uuid.UUID, holder: uuid.UUID
) -> uuid.UUID:
    """A badge of `member` refused at `site` for being `holder`'s."""
    with sessions() as db, db.begin():
        row = CentralRefusal(
            site_id=site,
            entity="credentials",
            entity_id=str(uuid.uuid4()),
            reason=RefusalReason.BADGE_HELD,
            detail="badge already held at central; enrolment refused",
            member_id=member,
            other_member_id=holder,
            at=START,
        )
        db.add(row)
        db.flush()
        return row.id


def test_reception_and_fabmanager_cannot_open_refusals_nor_merge(
    client: TestClient, accounts: dict[Role, str]
) -> None:
    for role in (Role.RECEPTION, Role.FABMANAGER):
        assert log_in(client, accounts[role]) == 303
        assert client.get("/refusals").status_code == 403
        assert client.get(f"/merge?a={uuid.uuid4()}&b={uuid.uuid4()}").status_code == 403


def test_a_manager_sees_and_merges_only_what_their_sites_refusals_name(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    anne, anne_bis = person(sessions, "Anne"), person(sessions, "Annie")
    paul, paul_bis = person(sessions, "Paul"), person(sessions, "Paolo")
    refused(sessions, "gare", anne_bis, anne)  # the manager's site
    refused(sessions, "halle", paul_bis, paul)
    same_a = person(sessions, "Zoé", "zoe@example.org")
    same_b = person(sessions, "Zoe", "ZOE@example.org")
    assert log_in(client, accounts[Role.MANAGER]) == 303
    assert '<a href="/refusals">1</a>' in client.get("/").text  # their site's, one
    page = client.get("/refusals").text
    assert "Annie Durand" in page and "Paolo Durand" not in page
    assert f"/merge?a={anne}&amp;b={anne_bis}" in page
    assert f"/merge?a={same_a}" not in client.get("/refusals?emails=1").text  # the admin's
    assert client.get(f"/merge?a={anne}&b={anne_bis}").status_code == 200
    assert client.get(f"/merge?a={paul}&b={paul_bis}").status_code == 403
    assert client.get(f"/merge?a={same_a}&b={same_b}").status_code == 403
    token = csrf_of(client.get(f"/merge?a={anne}&b={anne_bis}").text)
    forged = client.post("/merge", data={"a": str(paul), "b": str(paul_bis), "csrf": token})
    assert forged.status_code == 403
    assert client.post("/merge", data={"a": str(anne), "b": str(anne_bis)}).status_code == 403

    assert log_in(client, accounts[Role.ADMIN]) == 303
    page = client.get("/refusals").text
    assert "Annie Durand" in page and "Paolo Durand" in page
    assert f"/merge?a={same_a}" not in page and 'href="/refusals?emails=1"' in page
    page = client.get("/refusals?emails=1").text  # the search by email, when asked
    assert f"/merge?a={same_a}&amp;b={same_b}" in page  # one email, two cases
    assert "même e-mail" in page


def test_a_refusal_marked_dealt_with_leaves_the_list_and_is_audited(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    anne, anne_bis = person(sessions, "Anne"), person(sessions, "Annie")
    mine = refused(sessions, "gare", anne_bis, anne)
    theirs = refused(sessions, "halle", anne_bis, anne)
    assert log_in(client, accounts[Role.MANAGER]) == 303
    page = client.get("/refusals").text
    token = csrf_of(page)
    assert client.post(f"/refusals/{mine}/resolve").status_code == 403  # no token
    other = client.post(f"/refusals/{theirs}/resolve", data={"csrf": token})
    assert other.status_code == 404  # another site's: not theirs to close
    done = client.post(f"/refusals/{mine}/resolve", data={"csrf": token})
    assert done.status_code == 303 and done.headers["location"] == "/refusals?done=resolved"
    page = client.get("/refusals?done=resolved").text
    assert "Refus marqué comme réglé." in page and "Aucun refus en attente." in page
    with sessions() as db:
        row = db.get(CentralRefusal, mine)
        assert row is not None and row.resolved_at == START
        assert row.revision > 0  # the change goes down to the site with the next sync
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.REFUSAL_RESOLVED)
        ).one()
        assert entry.account == accounts[Role.MANAGER] and entry.target == str(mine)
    again = client.post(f"/refusals/{mine}/resolve", data={"csrf": token})
    assert again.status_code == 404


def test_merge_refuses_one_record_twice_and_unknown_records(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    anne = person(sessions, "Anne")
    assert log_in(client, accounts[Role.ADMIN]) == 303
    assert client.get(f"/merge?a={anne}&b={anne}").status_code == 404
    assert client.get(f"/merge?a={anne}&b={uuid.uuid4()}").status_code == 404
    assert client.get("/merge?a=x&b=y").status_code == 404


def test_a_merge_a_field_rule_refuses_writes_nothing(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    kept = person(sessions, "Anne")
    with sessions() as db, db.begin():  # written before the rules, by an old import
        bad = Member(first_name="Anne", last_name="Durand", email="anne\u202e@example.org")
        db.add(bad)
        db.flush()
        gone = bad.id
    assert log_in(client, accounts[Role.ADMIN]) == 303
    page = client.get(f"/merge?a={kept}&b={gone}")
    answer = client.post(
        "/merge", data={"a": str(kept), "b": str(gone), "csrf": csrf_of(page.text)}
    )
    assert answer.status_code == 422
    assert "Rien n&#39;est fusionné" in answer.text and "U+202E" in answer.text
    with sessions() as db:
        one, other = db.get(Member, kept), db.get(Member, gone)
        assert one is not None and one.email is None
        assert other is not None and other.deleted_at is None and other.merged_into is None
