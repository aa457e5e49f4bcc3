"""Roles are enforced by one gate, on the server: a page a role may not see answers 403."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from station.db.staff import Role
from tests.console.conftest import log_in

EVERY_PAGE = ["/", "/members", "/members?q=martin", "/audit"]
FORBIDDEN = {
    Role.ADMIN: [],
    Role.MANAGER: ["/audit"],
    Role.FABMANAGER: ["/audit"],
    Role.RECEPTION: ["/audit"],
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_its_pages_and_gets_403_for_the_others(
    client: TestClient, accounts: dict[Role, str], role: Role
) -> None:
    assert log_in(client, accounts[role]) == 303
    for path in EVERY_PAGE:
        answer = client.get(path)
        expected = 403 if path in FORBIDDEN[role] else 200
        assert answer.status_code == expected, (role, path)
        if expected == 403:
            assert "Accès refusé" in answer.text
    nav = client.get("/").text
    assert ('href="/audit"' in nav) is (role is Role.ADMIN)


def test_pages_carry_headers_that_keep_them_in_their_own_frame(
    client: TestClient, accounts: dict[Role, str]
) -> None:
    assert log_in(client, accounts[Role.ADMIN]) == 303
    headers = client.get("/").headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
