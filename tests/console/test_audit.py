"""/audit: the administrator reads the log, filtered by account and by action."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from station.db.staff import Role
from tests.console.conftest import log_in


def rows(html: str) -> list[list[str]]:
    body = html.split('<table id="entries">', 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr><td>.*?</tr>", body)]


def test_the_log_filtered_by_account_and_action(
    client: TestClient, accounts: dict[Role, str]
) -> None:
    assert log_in(client, accounts[Role.RECEPTION], "a wrong password!") == 401
    assert log_in(client, accounts[Role.RECEPTION]) == 303
    assert log_in(client, accounts[Role.ADMIN]) == 303
    everything = rows(client.get("/audit").text)
    assert [(r[1], r[2]) for r in everything] == [  # newest first
        ("admin@example.org", "connexion"),  # the action's label, not its code
        ("reception@example.org", "connexion"),
        ("reception@example.org", "connexion refusée"),
    ]
    assert all(r[4] == "testclient" for r in everything)
    reception = rows(client.get("/audit", params={"account": "Reception@example.org"}).text)
    assert [r[2] for r in reception] == ["connexion", "connexion refusée"]
    failed = rows(client.get("/audit", params={"action": "login_failed"}).text)
    assert [r[1] for r in failed] == ["reception@example.org"]
    page = client.get("/audit", params={"action": "no such action"})
    assert page.status_code == 200 and len(rows(page.text)) == 3  # an unknown one filters nothing
