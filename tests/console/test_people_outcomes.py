"""/members/<id>/outcomes: a skill gained and a company created recorded for a site,
the SIREN checked for its format and its Luhn key, every refusal named."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from station.db import Company, SkillRecord
from station.db.staff import AuditAction, Role
from tests.console.conftest import log_in
from tests.support.console_people import add_person, app, audit_rows, token

__all__ = ["app"]

COMPANY = {
    "company": "Atelier Martin",
    "siren": "732 829 320",
    "created_on": "2026-02-01",
    "offer": "coworking",
    "company_site": "gare",
}


def test_reception_records_a_skill_for_their_site(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/outcomes"
    page = client.get(path).text
    assert "Démarches en ligne" in page and '<option value="gare" selected>' in page
    data = {"skill": "pix", "on": "", "by": "", "site": "gare", "csrf": token(client, path)}
    answer = client.post(f"{path}/skill", data=data)
    assert answer.status_code == 303
    with sessions() as db:
        (row,) = db.scalars(select(SkillRecord))
        assert (row.skill, str(row.recorded_on), row.site_id) == ("pix", "2026-03-10", "gare")
        assert row.recorded_by == accounts[Role.RECEPTION]
    assert len(audit_rows(sessions, AuditAction.SKILL_RECORDED)) == 1
    again = client.post(f"{path}/skill", data={**data, "csrf": token(client, path)})
    assert again.status_code == 422 and "déjà enregistrée" in again.text


def test_skill_refusals(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.RECEPTION])
    path = f"/members/{member_id}/outcomes"
    data = {"skill": "juggling", "on": "2030-01-01", "site": "port", "csrf": token(client, path)}
    answer = client.post(f"{path}/skill", data=data)
    assert answer.status_code == 422
    for field in ("on", "site"):  # a reception account records for its own site only
        assert f'id="{field}-error"' in answer.text
    data |= {"on": "hier", "site": "gare"}
    answer = client.post(f"{path}/skill", data=data)
    assert answer.status_code == 422 and 'id="on-error"' in answer.text
    data |= {"on": "", "site": "gare"}
    answer = client.post(f"{path}/skill", data=data)
    assert answer.status_code == 422 and 'id="skill-error"' in answer.text


def test_a_company_with_its_siren(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.MANAGER])
    path = f"/members/{member_id}/outcomes"
    answer = client.post(f"{path}/company", data={**COMPANY, "csrf": token(client, path)})
    assert answer.status_code == 303
    with sessions() as db:
        (row,) = db.scalars(select(Company))
        assert (row.siren, row.site_id, row.member_id) == ("732829320", "gare", member_id)
    (entry,) = audit_rows(sessions, AuditAction.COMPANY_RECORDED)
    assert entry.detail["siren"] == "732829320"
    again = client.post(f"{path}/company", data={**COMPANY, "csrf": token(client, path)})
    assert again.status_code == 422 and "déjà enregistré" in again.text


def test_a_siren_whose_key_does_not_match_and_other_refusals(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.MANAGER])
    path = f"/members/{member_id}/outcomes"
    for siren in ("732829321", "73282932", "7328293AB"):
        data = {**COMPANY, "siren": siren, "csrf": token(client, path)}
        answer = client.post(f"{path}/company", data=data)
        assert answer.status_code == 422 and 'id="siren-error"' in answer.text, siren
    bad = {"company": " ", "created_on": "2027-01-01", "offer": "juggling"}
    answer = client.post(f"{path}/company", data={**COMPANY, **bad, "csrf": token(client, path)})
    for field in ("company", "created_on", "offer"):
        assert f'id="{field}-error"' in answer.text, field
    long_name = {**COMPANY, "company": "x" * 201, "csrf": token(client, path)}
    answer = client.post(f"{path}/company", data=long_name)
    assert answer.status_code == 422 and "200 caractères au plus" in answer.text
    with sessions() as db:
        assert db.scalars(select(Company)).all() == []


def test_an_administrator_chooses_the_site(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    member_id = add_person(sessions)
    log_in(client, accounts[Role.ADMIN])
    path = f"/members/{member_id}/outcomes"
    page = client.get(path).text
    assert '<option value="saint-omer-gare"' in page and '<option value="gare"' in page
    data = {"skill": "pix", "site": "saint-omer-gare", "csrf": token(client, path)}
    assert client.post(f"{path}/skill", data=data).status_code == 303
