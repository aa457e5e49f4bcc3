"""Commands from the office: the console writes a request at central (audited), by role
and site; what the site does with it is sync.commands' (tests/sync/test_command_relay.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from station.command_requests import NOT_PICKED_UP, recent, request_command
from station.db import Resource, ResourceKind
from station.db.command_requests import CommandRequest, RequestState
from station.db.site_live import SiteLink
from station.db.staff import AuditAction, AuditEntry, Role
from tests.console.conftest import START, Clock, csrf_of, log_in

SITE = "gare"


@pytest.fixture
def resources(sessions: sessionmaker[Session]) -> None:
    with sessions() as db, db.begin():
        for site in (SITE, "autre"):
            db.add(Resource(site_id=site, code="front-door", kind=ResourceKind.DOOR, name="Entrée"))
            db.add(Resource(site_id=site, code="laser", kind=ResourceKind.MACHINE, name="Laser"))


def send(client: TestClient, site: str, **form: str) -> Any:
    token = csrf_of(client.get(f"/sites/{SITE}/commands").text)
    return client.post(f"/sites/{site}/commands", data={"csrf": token, **form})


def requests(sessions: sessionmaker[Session]) -> list[CommandRequest]:
    with sessions() as db:
        return list(db.scalars(select(CommandRequest).order_by(CommandRequest.requested_at)))


@pytest.mark.usefixtures("resources")
def test_a_manager_unlocks_the_front_door_audited_and_shown(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    log_in(client, accounts[Role.MANAGER])
    page = client.get(f"/sites/{SITE}/commands").text
    assert 'id="unlock_once-front-door"' in page and 'id="block-laser"' in page
    answer = send(client, SITE, resource="front-door", command="unlock_once", back="/x")
    assert (answer.status_code, answer.headers["location"]) == (303, f"/sites/{SITE}")
    [asked] = requests(sessions)
    assert (asked.site_id, asked.resource, asked.command, asked.state, asked.author) == (
        SITE,
        "front-door",
        "unlock_once",
        RequestState.PENDING,
        accounts[Role.MANAGER],
    )
    assert asked.expires_at - asked.requested_at == dt.timedelta(seconds=60)
    with sessions() as db:
        entry = db.scalar(
            select(AuditEntry).where(AuditEntry.action == AuditAction.COMMAND_REQUESTED)
        )
    assert entry is not None
    assert (entry.account, entry.target, entry.detail["request"]) == (
        accounts[Role.MANAGER],
        f"{SITE}/front-door",
        str(asked.id),
    )
    page = client.get(f"/sites/{SITE}/commands").text
    assert f'id="request-{asked.id}" class="state-pending"' in page
    assert '<meta http-equiv="refresh"' in page  # shown again until the site answers


@pytest.mark.usefixtures("resources")
def test_a_request_no_site_took_expires_and_the_page_says_the_site_is_offline(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session], clock: Clock
) -> None:
    log_in(client, accounts[Role.ADMIN])
    send(client, SITE, resource="front-door", command="lockdown")
    clock.advance(dt.timedelta(seconds=61))
    page = client.get(f"/sites/{SITE}/commands").text
    [asked] = requests(sessions)
    assert (asked.state, asked.result) == (RequestState.EXPIRED, NOT_PICKED_UP)
    assert "il est hors ligne" in page
    assert '<meta http-equiv="refresh"' not in page


@pytest.mark.usefixtures("resources")
def test_hold_open_until_a_local_time(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    log_in(client, accounts[Role.MANAGER])
    # START is 10:30 in Paris: 18:00 there is 17:00 UTC.
    assert send(client, SITE, resource="front-door", command="hold_open", until="2026-03-10T18:00")
    [asked] = requests(sessions)
    assert asked.args == {"until": "2026-03-10T17:00:00+00:00"}
    for until in ("", "demain", "2026-03-10T09:00", "2026-03-12T18:00"):
        answer = send(client, SITE, resource="front-door", command="hold_open", until=until)
        assert answer.status_code == 422, until
        assert 'data-field="until"' in answer.text
    assert len(requests(sessions)) == 1


@pytest.mark.usefixtures("resources")
def test_hold_open_until_reads_the_time_in_the_sites_zone_not_the_consoles(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    with sessions() as db, db.begin():  # the site's heartbeat, as sync.live_up writes it
        db.add(SiteLink(site_id=SITE, heard_at=START, timezone="America/Guadeloupe"))
    log_in(client, accounts[Role.MANAGER])
    page = client.get(f"/sites/{SITE}/commands").text
    assert "(heure du site, America/Guadeloupe)" in page
    # The console runs in Paris; 18:00 at the site (UTC-4) is 22:00 UTC.
    send(client, SITE, resource="front-door", command="hold_open", until="2026-03-10T18:00")
    [asked] = requests(sessions)
    assert asked.args == {"until": "2026-03-10T22:00:00+00:00"}


@pytest.mark.usefixtures("resources")
@pytest.mark.parametrize(
    ("role", "site", "resource", "command", "status"),
    [
        (Role.RECEPTION, SITE, "front-door", "unlock_once", 303),
        (Role.RECEPTION, SITE, "front-door", "lockdown", 403),
        (Role.RECEPTION, SITE, "laser", "block", 403),
        (Role.FABMANAGER, SITE, "laser", "block", 303),
        (Role.FABMANAGER, "autre", "laser", "clear_check", 303),
        (Role.FABMANAGER, SITE, "front-door", "unlock_once", 403),
        (Role.MANAGER, "autre", "front-door", "unlock_once", 403),  # another site's door
        (Role.RECEPTION, "autre", "front-door", "unlock_once", 403),
        (Role.ADMIN, "autre", "front-door", "release", 303),
        (Role.MANAGER, SITE, "front-door", "block", 422),  # not a door's command
        (Role.MANAGER, SITE, "front-door", "power_off", 422),  # not offered by the console
        (Role.MANAGER, SITE, "nowhere", "unlock_once", 422),
    ],
)
def test_who_may_command_what(
    client: TestClient,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
    role: Role,
    site: str,
    resource: str,
    command: str,
    status: int,
) -> None:
    log_in(client, accounts[role])
    answer = send(client, site, resource=resource, command=command)
    assert answer.status_code == status
    assert len(requests(sessions)) == (1 if status == 303 else 0)


@pytest.mark.usefixtures("resources")
def test_the_buttons_are_the_roles_and_another_sites_page_is_refused(
    client: TestClient, accounts: dict[Role, str]
) -> None:
    log_in(client, accounts[Role.RECEPTION])
    page = client.get(f"/sites/{SITE}/commands").text
    assert 'id="unlock_once-front-door"' in page
    assert "lockdown-front-door" not in page and "block-laser" not in page
    assert client.get("/sites/autre/commands").status_code == 403
    log_in(client, accounts[Role.FABMANAGER])
    page = client.get("/sites/autre/commands").text
    assert 'id="block-laser"' in page and "unlock_once-front-door" not in page


@pytest.mark.usefixtures("resources")
def test_a_form_without_csrf_is_refused(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    log_in(client, accounts[Role.ADMIN])
    answer = client.post(
        f"/sites/{SITE}/commands", data={"resource": "front-door", "command": "unlock_once"}
    )
    assert answer.status_code == 403
    assert requests(sessions) == []


@pytest.mark.usefixtures("resources")
def test_a_reader_that_writes_nothing_sees_an_overdue_request_expired(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as db, db.begin():
        asked = request_command(
            db, site_id=SITE, resource="front-door", command="unlock_once", author="a", now=START
        ).id
    later = START + dt.timedelta(seconds=61)
    with sessions() as db:  # as the live page's stream reads: no commit
        [shown] = recent(db, SITE, later)
        assert (shown.id, shown.state) == (asked, RequestState.EXPIRED)
        assert [r.state for r in recent(db, SITE)] == [RequestState.PENDING]
        db.commit()
    assert [r.state for r in requests(sessions)] == [RequestState.PENDING]
