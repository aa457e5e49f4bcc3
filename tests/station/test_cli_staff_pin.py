"""`station member pin`: the PIN from standard input, its hash at central, then at the site."""

from __future__ import annotations

import io
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station import registry
from station.cli.main import main
from station.config import load_config
from station.db import Member, MemberKind, make_engine
from sync import central
from sync.down import sync_down

ROOT = Path(__file__).resolve().parents[2]
PIN = "482193"

Run = Callable[..., tuple[int, object, str]]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/site.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def config_path(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("STATION_DATABASE_URL", database_url)
    return config


@pytest.fixture
def station(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """Run `station --json ...` in-process, `stdin` its standard input (not a terminal)."""

    def run(*args: str, stdin: str | io.StringIO = "") -> tuple[int, object, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin) if isinstance(stdin, str) else stdin)
        capsys.readouterr()
        status = main(["--config", str(config_path), "--json", *args])
        out, err = capsys.readouterr()
        return status, json.loads(out) if out.strip() else None, err

    for flags in ((), ("--central",)):
        assert run("db", "upgrade", *flags)[0] == 0
    return run


@pytest.fixture
def ends(config_path: Path, station: Run) -> Iterator[tuple[Engine, Engine]]:
    config = load_config(config_path)
    site = make_engine(config.resolve_url(config.database.url))
    registry_engine = make_engine(config.resolve_url(config.central.url))
    yield site, registry_engine
    site.dispose()
    registry_engine.dispose()


def at_central(engine: Engine, first_name: str, kind: MemberKind) -> str:
    with central.session(engine) as session:
        return str(registry.add_member(session, first_name, "Doe", kind=kind).id)


def pin_hash(engine: Engine, member_id: str) -> str | None:
    with Session(engine) as session:
        wanted = Member.id == uuid.UUID(member_id)
        return session.scalar(select(Member.staff_pin_hash).where(wanted))


def test_pin_is_hashed_at_central_then_reaches_the_site(
    station: Run, ends: tuple[Engine, Engine]
) -> None:
    site, registry_engine = ends
    sam = at_central(registry_engine, "Sam", MemberKind.STAFF)
    status, result, err = station("member", "pin", sam, stdin=f"{PIN}\n")
    assert status == 0, err
    assert result == {"member": "Sam Doe", "pin": "set"}
    stored = pin_hash(registry_engine, sam)
    assert stored is not None and stored.startswith("$argon2id$") and PIN not in stored
    assert pin_hash(site, sam) is None  # not before the sync
    sync_down(site, registry_engine, batch_size=100)
    assert pin_hash(site, sam) == stored
    status, result, _ = station("member", "pin", "Sam Doe", "--clear")
    assert status == 0 and result == {"member": "Sam Doe", "pin": "cleared"}
    assert pin_hash(registry_engine, sam) is None
    sync_down(site, registry_engine, batch_size=100)
    assert pin_hash(site, sam) is None


@pytest.mark.parametrize("stdin", ["", "123\n", "12a45\n", "1234567890123\n", "12 34\n"])
def test_bad_pins_are_refused_with_status_2(
    station: Run, ends: tuple[Engine, Engine], stdin: str
) -> None:
    _, registry_engine = ends
    sam = at_central(registry_engine, "Sam", MemberKind.STAFF)
    status, result, err = station("member", "pin", sam, stdin=stdin)
    assert status == 2 and result is None
    assert "4 to 12 digits" in err
    assert pin_hash(registry_engine, sam) is None


def test_non_staff_are_refused_saying_why(station: Run, ends: tuple[Engine, Engine]) -> None:
    _, registry_engine = ends
    camille = at_central(registry_engine, "Camille", MemberKind.MEMBER)
    status, _, err = station("member", "pin", camille, stdin=f"{PIN}\n")
    assert status == 1
    assert "Camille Doe is a member, not staff" in err
    assert pin_hash(registry_engine, camille) is None


def test_on_a_terminal_the_pin_is_typed_twice_unseen(
    station: Run, ends: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    _, registry_engine = ends
    sam = at_central(registry_engine, "Sam", MemberKind.STAFF)

    def on_a_terminal(*typed: str) -> None:
        answers = iter(typed)
        monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def run() -> tuple[int, object, str]:
        return station("member", "pin", sam, stdin=Terminal())

    on_a_terminal(PIN, "999999")
    status, _, err = run()
    assert status == 2 and "the two PINs differ" in err
    assert pin_hash(registry_engine, sam) is None
    on_a_terminal(PIN, PIN)
    status, result, err = run()
    assert status == 0, err
    assert result == {"member": "Sam Doe", "pin": "set"}
    assert pin_hash(registry_engine, sam) is not None
