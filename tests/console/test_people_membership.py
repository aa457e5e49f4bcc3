"""/members/<id>/renew: a membership renewed, or its plan changed, as `station member
renew` does; each refusal named next to its field, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from station.db.live import live_rows
from station.db.staff import AuditAction, Role
from tests.console.conftest import log_in
from tests.support.console_people import add_person, app, audit_rows, person, token

__all__ = ["app"]


def spans(sessions: sessionmaker[Session], member_id: object) -> list[tuple[str, str, str]]:
    member = person(sessions, member_id)  # type: ignore[arg-type]
    return sorted(
        (m.plan, str(m.valid_from), str(m.valid_until)) for m in live_rows(member.memberships)
    )


def test_the_same_plan_continues_after_the_current_one(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/renew"
    form = client.get(path).text
    assert "2026-06-30" in form and '<option value="member" selected>' in form
    answer = client.post(path, data={"plan": "member", "until": "", "csrf": token(client, path)})
    assert answer.status_code == 303 and answer.headers["location"].endswith("?done=renewed")
    assert spans(sessions, member_id) == [
        ("member", "2026-03-10", "2026-06-30"),
        ("member", "2026-07-01", "2027-06-30"),
    ]
    (entry,) = audit_rows(sessions, AuditAction.MEMBERSHIP_RENEWED)
    assert entry.detail["valid_from"] == "2026-07-01" and entry.detail["plan"] == "member"
    assert "Adhésion renouvelée." in client.get(answer.headers["location"]).text


def test_another_plan_starts_today(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.MANAGER])
    path = f"/members/{member_id}/renew"
    data = {"plan": "visitor", "until": "2026-03-20", "csrf": token(client, path)}
    assert client.post(path, data=data).status_code == 303
    # The member plan began today: nothing of it remains.
    assert spans(sessions, member_id) == [("visitor", "2026-03-10", "2026-03-20")]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"plan": "gold"}, "plan", "Formule inconnue."),
        ({"plan": "member", "until": "2026-03-01"}, "until", "passée"),
        ({"plan": "member", "until": "2026-05-01"}, "until", "2026-06-30"),
        ({"plan": "member", "until": "demain"}, "until", "Une date"),
    ],
)
def test_refusals_are_named_and_nothing_is_written(
    client: TestClient,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
    data: dict[str, str],
    field: str,
    words: str,
) -> None:
    member_id = add_person(sessions)
    before = spans(sessions, member_id)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/renew"
    answer = client.post(path, data={**data, "csrf": token(client, path)})
    assert answer.status_code == 422
    assert f'id="{field}-error">' in answer.text and words in answer.text
    assert spans(sessions, member_id) == before
    assert audit_rows(sessions, AuditAction.MEMBERSHIP_RENEWED) == []


def test_a_renewal_without_a_membership_starts_today(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions, until=None)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/renew"
    assert "Aucune adhésion en cours." in client.get(path).text
    client.post(path, data={"plan": "", "csrf": token(client, path)})
    end = dt.date(2026, 3, 10) + dt.timedelta(days=364)
    assert spans(sessions, member_id) == [("member", "2026-03-10", str(end))]
