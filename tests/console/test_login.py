"""/login and /logout: sessions in signed cookies that hold no state of their own, CSRF
on every form, every success and failure in the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from console import accounts as accounts_module
from console.accounts import disable_account
from console.cookies import COOKIE
from station.db.staff import AuditAction, AuditEntry, Role
from tests.console.conftest import PASSWORD, Clock, csrf_of, log_in


def audit_actions(sessions: sessionmaker[Session]) -> list[tuple[str, AuditAction, str]]:
    with sessions() as db:
        rows = db.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.account, e.action, e.remote_address) for e in rows]


def test_a_page_without_a_session_sends_to_the_login_form(client: TestClient) -> None:
    answer = client.get("/members?q=mar")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/members%3Fq%3Dmar"
    form = client.get("/login")
    assert form.status_code == 200 and 'name="password"' in form.text


def test_login_opens_a_session_in_an_httponly_lax_cookie_and_is_logged(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login?next=/members",
        data={"email": "Admin@Example.org ", "password": PASSWORD, "csrf": token},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/members"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    assert client.get("/").status_code == 200
    assert audit_actions(sessions) == [
        ("admin@example.org", AuditAction.LOGIN, "testclient"),
    ]


def test_behind_tls_the_cookie_is_secure(app: Starlette, accounts: dict[Role, str]) -> None:
    with TestClient(app, base_url="https://console.example.org", follow_redirects=False) as tls:
        token = csrf_of(tls.get("/login").text)
        answer = tls.post(
            "/login",
            data={"email": accounts[Role.ADMIN], "password": PASSWORD, "csrf": token},
        )
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer_and_the_same_work(
    client: TestClient,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verified: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            verified.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(accounts_module, "_HASHER", CountingHasher())
    wrong = log_in(client, accounts[Role.RECEPTION], "not the password at all")
    unknown = log_in(client, "nobody@example.org", "not the password at all")
    assert wrong == unknown == 401
    # The unknown email was checked against a hash too: its answer takes as long.
    assert len(verified) == 2 and all(h.startswith("$argon2id$") for h in verified)
    assert client.get("/").status_code == 303
    assert [(a, act) for a, act, _ in audit_actions(sessions)] == [
        ("reception@example.org", AuditAction.LOGIN_FAILED),
        ("nobody@example.org", AuditAction.LOGIN_FAILED),
    ]


def test_a_disabled_account_cannot_log_in(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session], clock: Clock
) -> None:
    with sessions() as db, db.begin():
        disable_account(db, accounts[Role.MANAGER], clock())
    assert log_in(client, accounts[Role.MANAGER]) == 401


def test_a_post_without_its_csrf_token_is_refused(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    client.get("/login")  # the session cookie, not the token
    answer = client.post("/login", data={"email": accounts[Role.ADMIN], "password": PASSWORD})
    assert answer.status_code == 403
    assert audit_actions(sessions) == []  # refused before the password was even looked at
    assert log_in(client, accounts[Role.ADMIN]) == 303
    # A forged form (another site's page posting to /logout) has no token, or a wrong one.
    for data in ({}, {"csrf": "0" * 64}):
        assert client.post("/logout", data=data).status_code == 403
    assert client.get("/").status_code == 200  # still logged in


def test_the_token_before_login_is_worth_nothing_after(
    client: TestClient, accounts: dict[Role, str]
) -> None:
    before = csrf_of(client.get("/login").text)
    assert log_in(client, accounts[Role.ADMIN]) == 303
    assert client.post("/logout", data={"csrf": before}).status_code == 403
    after = csrf_of(client.get("/").text)
    assert after != before
    assert client.post("/logout", data={"csrf": after}).status_code == 303


def test_logout_ends_the_session_even_for_a_copy_of_the_cookie(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    assert log_in(client, accounts[Role.RECEPTION]) == 303
    stolen = client.cookies[COOKIE]
    token = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    client.cookies.set(COOKIE, stolen)
    assert client.get("/").status_code == 303
    assert [act for _, act, _ in audit_actions(sessions)][-1] is AuditAction.LOGOUT


def test_disabling_an_account_ends_its_open_sessions(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session], clock: Clock
) -> None:
    assert log_in(client, accounts[Role.FABMANAGER]) == 303
    assert client.get("/").status_code == 200
    with sessions() as db, db.begin():
        disable_account(db, accounts[Role.FABMANAGER], clock())
    assert client.get("/").status_code == 303


def test_a_session_lasts_twelve_hours(
    client: TestClient, accounts: dict[Role, str], clock: Clock
) -> None:
    assert log_in(client, accounts[Role.ADMIN]) == 303
    clock.advance(dt.timedelta(hours=11, minutes=59))
    assert client.get("/").status_code == 200
    clock.advance(dt.timedelta(minutes=2))
    assert client.get("/").status_code == 303


def test_a_forged_cookie_is_no_session(client: TestClient, accounts: dict[Role, str]) -> None:
    assert log_in(client, accounts[Role.ADMIN]) == 303
    value = client.cookies[COOKIE]
    client.cookies.set(COOKIE, value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1])
    assert client.get("/").status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "members"])
def test_login_never_sends_elsewhere(
    client: TestClient, accounts: dict[Role, str], target: str
) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        params={"next": target},
        data={"email": accounts[Role.ADMIN], "password": PASSWORD, "csrf": token},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
