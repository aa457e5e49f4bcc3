"""`station deploy central --site ID` against the suite's real PostgreSQL: the URL it
prints connects as the site's role, which sees its own site's history only, and a
second run keeps the password unless `--renew`."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from station.cli.main import main
from station.db import AccessEvent, make_engine
from station.ids import new_event_id
from tests.support.config import write_config

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def site() -> str:
    # PostgreSQL roles belong to the server, not to the test's database: a name of its own.
    return f"deploy-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def owner(pg_migrated_url: str, site: str) -> Iterator[Engine]:
    """The registry's owner, on a central at head (the deploy's own URL)."""
    engine = make_engine(pg_migrated_url)
    yield engine
    with engine.begin() as connection:
        role = f"station_site_{site}"
        if connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).first():
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
    engine.dispose()


@pytest.fixture
def config(tmp_path: Path, pg_migrated_url: str) -> Path:
    return write_config(tmp_path, overrides={"central": {"url": pg_migrated_url}})


def _deploy(
    config: Path, site: str, capsys: pytest.CaptureFixture[str], *extra: str
) -> dict[str, object]:
    argv = ["--config", str(config), "--json", "deploy", "central", "--site", site, *extra]
    assert main(argv) == 0
    return dict(json.loads(capsys.readouterr().out))


def _event(site: str) -> dict[str, object]:
    return {
        "id": new_event_id(),
        "agent_id": "door",
        "resource": "door",
        "type": "granted",
        "at": NOW,
        "data": {},
        "site_id": site,
    }


def _history_seen(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(AccessEvent)).scalar_one()
            )
    finally:
        engine.dispose()


def _password_holds(owner: Engine, url: str) -> bool:
    """The URL's password is its role's, checked against the role's SCRAM verifier
    (the suite's server trusts every local connection, so connecting proves no
    password)."""
    parsed = make_url(url)
    with owner.connect() as connection:
        verifier = connection.execute(
            text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"),
            {"r": parsed.username},
        ).scalar_one()
    method, rest = verifier.split("$", 1)
    assert method == "SCRAM-SHA-256"
    params, keys = rest.split("$")
    iterations, salt = params.split(":")
    stored, _server = keys.split(":")
    password = (parsed.password or "").encode()
    salted = hashlib.pbkdf2_hmac("sha256", password, base64.b64decode(salt), int(iterations))
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    return hmac.compare_digest(hashlib.sha256(client_key).digest(), base64.b64decode(stored))


def test_the_printed_url_is_the_sites_own_account(
    config: Path, site: str, owner: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "deploy"
    first = _deploy(config, site, capsys, "--out", str(out))
    assert (first["role"], first["created"], first["new_password"]) == (
        f"station_site_{site}",
        True,
        True,
    )
    kept = out / "secrets" / f"central-{site}.password"
    assert first["password_file"] == str(kept)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    url = str(first["url"])
    assert make_url(url).password == kept.read_text().strip()
    assert _password_holds(owner, url)
    with owner.begin() as connection:  # the owner writes one row for each of two sites
        connection.execute(insert(AccessEvent), [_event(site), _event("elsewhere")])
    # The URL connects, as the site's role, and the policies show it its own rows only.
    assert _history_seen(url) == 1
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            assert connection.execute(text("SELECT current_user")).scalar() == first["role"]
            connection.execute(insert(AccessEvent), [_event(site)])
        with pytest.raises(DBAPIError, match="row-level security"), engine.begin() as connection:
            connection.execute(insert(AccessEvent), [_event("elsewhere")])
    finally:
        engine.dispose()
    assert _history_seen(url) == 2

    # Again: the same password, the same URL, which still connects.
    second = _deploy(config, site, capsys, "--out", str(out))
    assert (second["url"], second["created"], second["new_password"]) == (url, False, False)
    assert _password_holds(owner, url)
    assert _history_seen(url) == 2
    # --renew: a new password; the old URL no longer connects.
    renewed = _deploy(config, site, capsys, "--out", str(out), "--renew")
    assert renewed["url"] != url and renewed["new_password"] is True
    assert make_url(str(renewed["url"])).password == kept.read_text().strip()
    assert _password_holds(owner, str(renewed["url"]))
    assert not _password_holds(owner, url)
    assert _history_seen(str(renewed["url"])) == 2


def test_without_out_the_password_is_printed_once(
    config: Path, site: str, owner: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _deploy(config, site, capsys)
    assert first["password_file"] is None and first["new_password"] is True
    url = str(first["url"])
    assert _password_holds(owner, url)
    assert _history_seen(url) == 0  # it connects
    again = _deploy(config, site, capsys)
    assert again["new_password"] is False
    assert make_url(str(again["url"])).password is None  # shown once only
    assert make_url(str(again["url"])).username == make_url(url).username
    assert _password_holds(owner, url)  # the password printed the first time still holds
    renewed = _deploy(config, site, capsys, "--renew")
    assert renewed["url"] != url
    assert _password_holds(owner, str(renewed["url"]))
    assert not _password_holds(owner, url)


def test_a_role_whose_password_is_not_kept_is_not_changed_silently(
    config: Path,
    site: str,
    owner: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = str(_deploy(config, site, capsys)["url"])  # made without --out
    argv = ["--config", str(config), "deploy", "central", "--site", site]
    assert main([*argv, "--out", str(tmp_path / "deploy")]) == 2
    assert "--renew for a new password" in capsys.readouterr().err
    assert _password_holds(owner, url)  # untouched


def test_the_central_url_may_come_from_the_environment(
    tmp_path: Path,
    pg_migrated_url: str,
    site: str,
    owner: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config(tmp_path)  # its [central] url is an SQLite file
    argv = ["--config", str(config), "deploy", "central", "--site", site]
    assert main(argv) == 2
    assert "expected a PostgreSQL URL" in capsys.readouterr().err
    monkeypatch.setenv("STATION_CENTRAL_URL", pg_migrated_url)
    assert main(argv) == 0
    captured = capsys.readouterr()
    (line,) = captured.out.splitlines()  # one line, for the site's secrets.env
    assert line.startswith("STATION_CENTRAL_URL=postgresql")
    assert _password_holds(owner, line.removeprefix("STATION_CENTRAL_URL="))
    assert _history_seen(line.removeprefix("STATION_CENTRAL_URL=")) == 0
    assert f"role station_site_{site} (made)" in captured.err


def test_a_site_id_that_is_no_role_name_is_refused(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config), "deploy", "central", "--site", "Site A"]) == 2
    assert "--site Site A: expected a site id" in capsys.readouterr().err
