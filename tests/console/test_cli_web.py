"""`station web user add|list|disable`: accounts at central, the password from standard input."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.accounts import authenticate
from station.cli.main import main
from station.db import make_engine
from station.db.staff import AuditAction, AuditEntry, Role, StaffAccount

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., tuple[int, object, str]]


@pytest.fixture
def central_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/central.db"


@pytest.fixture
def station(
    tmp_path: Path,
    central_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    """`station --json ...` in-process; `stdin` its standard input (not a terminal)."""
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("STATION_CENTRAL_URL", central_url)

    def run(*args: str, stdin: str = "") -> tuple[int, object, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        status = main(["--config", str(config), "--json", *args])
        out, err = capsys.readouterr()
        return status, json.loads(out) if out.strip() else None, err

    assert run("db", "upgrade", "--central")[0] == 0
    return run


def test_add_list_disable(station: Run, central_url: str) -> None:
    status, out, _ = station(
        "web", "user", "add", "Nadia@Example.org", "--role", "reception", "--site", "gare",
        stdin="a long enough password\n",
    )  # fmt: skip
    assert status == 0
    assert out == {"email": "nadia@example.org", "role": "reception", "site": "gare"}
    assert station("web", "user", "add", "paul@example.org", "--role", "admin",
                   stdin="another long password\n")[0] == 0  # fmt: skip
    status, rows, _ = station("web", "user", "list")
    assert status == 0 and isinstance(rows, list)
    assert [(r["email"], r["role"], r["site"], r["disabled"]) for r in rows] == [
        ("nadia@example.org", "reception", "gare", None),
        ("paul@example.org", "admin", None, None),
    ]
    engine = make_engine(central_url)
    try:
        with Session(engine) as db:
            account = authenticate(db, "nadia@example.org", "a long enough password")
            assert account is not None and account.role is Role.RECEPTION
            assert account.password_hash.startswith("$argon2id$")
        assert station("web", "user", "disable", "nadia@example.org")[0] == 0
        with Session(engine) as db:
            nadia = db.scalars(select(StaffAccount).where(StaffAccount.site_id == "gare")).one()
            assert nadia.disabled_at is not None and nadia.session_version == 2
            assert authenticate(db, "nadia@example.org", "a long enough password") is None
            logged = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
            assert [(e.action, e.target) for e in logged] == [
                (AuditAction.ACCOUNT_CREATED, "nadia@example.org"),
                (AuditAction.ACCOUNT_CREATED, "paul@example.org"),
                (AuditAction.ACCOUNT_DISABLED, "nadia@example.org"),
            ]
            assert {e.account for e in logged} == {"command line"}
    finally:
        engine.dispose()


def test_a_short_password_is_refused_and_nothing_is_written(station: Run) -> None:
    status, out, err = station(
        "web", "user", "add", "x@example.org", "--role", "admin", stdin="eleven char\n"
    )
    assert status == 2 and out is None
    assert "at least 12 characters" in err
    assert station("web", "user", "list")[1] == []


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--role", "manager"), "belongs to one site: give --site"),
        (("--role", "admin", "--site", "gare"), "is for every site: no --site"),
    ],
)
def test_the_site_must_fit_the_role(station: Run, args: tuple[str, ...], said: str) -> None:
    status, _, err = station(
        "web", "user", "add", "x@example.org", *args, stdin="a long enough password\n"
    )
    assert status == 1 and said in err


def test_an_email_has_one_account(station: Run) -> None:
    add = ("web", "user", "add", "x@example.org", "--role", "fabmanager")
    assert station(*add, stdin="a long enough password\n")[0] == 0
    status, _, err = station(*add[:3], "X@example.org", *add[4:], stdin="another password!\n")
    assert status == 1 and "already has a console account" in err


def test_disabling_an_unknown_account_says_so(station: Run) -> None:
    status, _, err = station("web", "user", "disable", "ghost@example.org")
    assert status == 1 and "no console account for ghost@example.org" in err
