"""The live site page (/sites/<id>) and the site list: what each role sees, the
check-out asked from the office, and the stream of server-sent events."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from console import live_stream
from console.i18n import LANGUAGE_COOKIE
from station.db.site_live import CheckoutRequest, CheckoutState, SiteAgent
from station.db.staff import AuditAction, AuditEntry, Role
from station.protocol.vocabulary import DoorState, EventType, GrantState
from tests.console.conftest import Clock, csrf_of, log_in
from tests.support.live_site import LiveSeed, door, put_agent, seed_live
from tests.support.wait import wait_for


@pytest.fixture
def live(sessions: sessionmaker[Session], clock: Clock) -> LiveSeed:
    return seed_live(sessions, clock())


def test_an_admin_sees_who_is_in_the_doors_the_machines_and_the_alarms(
    client: TestClient, accounts: dict[Role, str], live: LiveSeed
) -> None:
    log_in(client, accounts[Role.ADMIN])
    page = client.get("/sites/gare")
    assert page.status_code == 200
    html = page.text
    assert "La Gare" in html and "Site en ligne" in html
    assert "Alice Présente" in html and f"/visits/{live.visit}/checkout" in html
    assert "Porte d&#39;entrée" in html and "Porte du fablab" in html
    assert "porte restée ouverte" in html  # the fablab door's alarm
    assert "Découpeuse laser" in html and "Bruno Laser" in html  # its current session
    assert 'src="/static/site_live.js"' in html and 'data-live="/sites/gare/live"' in html


def test_each_agent_shows_whether_it_holds_the_grants_sent_to_it(
    client: TestClient,
    accounts: dict[Role, str],
    live: LiveSeed,
    sessions: sessionmaker[Session],
    clock: Clock,
) -> None:
    with sessions() as db, db.begin():
        states = {"front-door": GrantState.IN_STEP, "fablab-door": GrantState.BEHIND}
        for agent_id, state in states.items():
            row = db.get(SiteAgent, ("gare", agent_id))
            assert row is not None
            put_agent(db, "gare", agent_id, row.status, clock(), grants=state)
    log_in(client, accounts[Role.ADMIN])
    html = client.get("/sites/gare").text
    assert '<dd class="grants-in_step">à jour</dd>' in html
    assert '<dd class="grants-behind">en retard</dd>' in html
    assert '<dd class="grants-unknown">état inconnu</dd>' in html  # the laser: never said
    client.cookies.set(LANGUAGE_COOKIE, "en")
    assert '<dd class="grants-behind">behind</dd>' in client.get("/sites/gare").text


@pytest.mark.parametrize("role", [Role.MANAGER, Role.RECEPTION])
def test_the_sites_own_staff_see_it_and_may_check_out(
    client: TestClient, accounts: dict[Role, str], live: LiveSeed, role: Role
) -> None:
    log_in(client, accounts[role])
    html = client.get("/sites/gare").text
    assert "Alice Présente" in html and "Faire sortir" in html and "Porte du fablab" in html
    assert client.get("/sites").headers["location"] == "/sites/gare"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.RECEPTION])
def test_another_sites_staff_are_refused(
    client: TestClient, accounts: dict[Role, str], live: LiveSeed, role: Role
) -> None:
    log_in(client, accounts[role])
    assert client.get("/sites/arques").status_code == 403
    assert client.get("/sites/arques/live").status_code == 403
    token = csrf_of(client.get("/sites/gare").text)
    answer = client.post(f"/sites/arques/visits/{live.visit}/checkout", data={"csrf": token})
    assert answer.status_code == 403


def test_a_fabmanager_sees_the_machines_only(
    client: TestClient, accounts: dict[Role, str], live: LiveSeed
) -> None:
    log_in(client, accounts[Role.FABMANAGER])
    html = client.get("/sites/gare").text
    assert "Découpeuse laser" in html
    assert "Alice Présente" not in html and "Porte du fablab" not in html
    assert "Faire sortir" not in html
    assert client.get("/sites").status_code == 200


def test_the_site_list_says_which_site_is_offline(
    client: TestClient, accounts: dict[Role, str], live: LiveSeed, clock: Clock
) -> None:
    log_in(client, accounts[Role.ADMIN])
    row = _row(client.get("/sites").text, "site-gare")
    assert "en ligne" in row and "hors ligne" not in row
    clock.advance(dt.timedelta(minutes=10))  # no upload for ten minutes
    log_in(client, accounts[Role.ADMIN])
    assert "hors ligne" in _row(client.get("/sites").text, "site-gare")
    assert "Site hors ligne depuis" in client.get("/sites/gare").text


def test_a_check_out_is_asked_of_the_site_once_and_audited(
    client: TestClient,
    accounts: dict[Role, str],
    live: LiveSeed,
    sessions: sessionmaker[Session],
) -> None:
    log_in(client, accounts[Role.RECEPTION])
    token = csrf_of(client.get("/sites/gare").text)
    path = f"/sites/gare/visits/{live.visit}/checkout"
    assert client.post(path).status_code == 403  # no CSRF token
    for _ in range(2):
        answer = client.post(path, data={"csrf": token})
        assert answer.status_code == 303 and answer.headers["location"] == "/sites/gare"
    with sessions() as db:
        asked = db.scalars(select(CheckoutRequest)).all()
        assert [(r.visit_id, r.state, r.author) for r in asked] == [
            (live.visit, CheckoutState.PENDING, accounts[Role.RECEPTION])
        ]
        entries = db.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.CHECKOUT_REQUESTED)
        ).all()
        assert len(entries) == 2 and entries[0].target == str(live.visit)
    assert "sortie demandée" in client.get("/sites/gare").text
    assert (
        client.post("/sites/gare/visits/not-a-uuid/checkout", data={"csrf": token}).status_code
        == 404
    )


def test_a_fabmanager_may_not_check_anyone_out(
    client: TestClient, accounts: dict[Role, str], live: LiveSeed
) -> None:
    log_in(client, accounts[Role.FABMANAGER])
    token = csrf_of(client.get("/sites/gare").text)
    path = f"/sites/gare/visits/{live.visit}/checkout"
    assert client.post(path, data={"csrf": token}).status_code == 403


def test_the_stream_sends_a_status_change_and_ends_with_the_session(
    served: str,
    accounts: dict[Role, str],
    live: LiveSeed,
    sessions: sessionmaker[Session],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live_stream, "POLL_S", 0.1)
    with httpx.Client(base_url=served, follow_redirects=False) as web:
        token = csrf_of(web.get("/login").text)
        web.post(
            "/login",
            data={
                "email": accounts[Role.MANAGER],
                "password": "correct horse battery",
                "csrf": token,
            },
        )
        with web.stream("GET", "/sites/gare/live", timeout=10) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = _events(stream.iter_lines())
            first: dict[str, str] = {}
            wanted = {"site-state", "present", "agent-front-door", "agent-laser-cutter"}
            while not wanted <= set(first):  # every fragment at first, in one burst
                sent = next(events)
                first[sent["id"]] = sent["html"]
            assert "fermée" in first["agent-front-door"]
            with sessions() as db, db.begin():
                put_agent(
                    db,
                    "gare",
                    "front-door",
                    door(relay=True, door=DoorState.OPEN, alarms=[EventType.DOOR_FORCED]),
                    clock(),
                )
            changed = next(e for e in events if e["id"] == "agent-front-door")
            assert "porte forcée" in changed["html"] and "activé" in changed["html"]
            # Logged out elsewhere: the stream ends by itself.
            started = time.monotonic()
            _log_out_everywhere(sessions, accounts[Role.MANAGER])
            assert list(events) == [] and time.monotonic() - started < 5


def _events(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    name = ""
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: ") and name == "fragment":
            yield json.loads(line.removeprefix("data: "))


def _log_out_everywhere(sessions: sessionmaker[Session], email: str) -> None:
    from station.db.staff import StaffAccount

    with sessions() as db, db.begin():
        account = db.scalar(select(StaffAccount).where(StaffAccount.email == email))
        assert account is not None
        account.session_version += 1


def _row(html: str, element: str) -> str:
    start = html.index(f'id="{element}"')
    return html[start : html.index("</tr>", start)]


def test_the_stream_stops_polling_when_the_client_goes(
    served: str, accounts: dict[Role, str], live: LiveSeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_stream, "POLL_S", 0.05)
    polls: list[float] = []
    key_of = live_stream.live_key

    def counted(*args: Any) -> tuple[int, bool]:
        polls.append(time.monotonic())
        return key_of(*args)

    monkeypatch.setattr(live_stream, "live_key", counted)
    with httpx.Client(base_url=served, follow_redirects=False) as web:
        token = csrf_of(web.get("/login").text)
        web.post(
            "/login",
            data={
                "email": accounts[Role.ADMIN],
                "password": "correct horse battery",
                "csrf": token,
            },
        )
        with web.stream("GET", "/sites/gare/live", timeout=10) as stream:
            events = _events(stream.iter_lines())  # kept: dropping it closes the response
            next(events)
            wait_for(lambda: len(polls) >= 5, timeout=5, what="five polls")
    gone = time.monotonic()
    time.sleep(1.0)
    assert [t for t in polls if t > gone + 0.3] == []  # no poll once the client went
