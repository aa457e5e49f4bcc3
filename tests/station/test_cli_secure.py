"""`station member secure-only` and `station resource require-secure|list`: set at
central, at the site after the next sync."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station import registry
from station.cli.main import main
from station.config import load_config
from station.credential import Credential, CredentialKind
from station.db import Member, Resource, make_engine
from station.seed import seed_site
from sync import central
from sync.down import sync_down

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., tuple[int, object, str]]


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("STATION_DATABASE_URL", f"sqlite:///{tmp_path}/site.db")
    return config


@pytest.fixture
def station(config_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*args: str, json_output: bool = True) -> tuple[int, object, str]:
        capsys.readouterr()
        flags = ["--json"] if json_output else []
        status = main(["--config", str(config_path), *flags, *args])
        out, err = capsys.readouterr()
        return status, json.loads(out) if json_output and out.strip() else out, err

    for flags in ((), ("--central",)):
        assert run("db", "upgrade", *flags)[0] == 0
    return run


@pytest.fixture
def ends(config_path: Path, station: Run) -> Iterator[tuple[Engine, Engine]]:
    config = load_config(config_path)
    site = make_engine(config.resolve_url(config.database.url))
    registry_engine = make_engine(config.resolve_url(config.central.url))
    with central.session(registry_engine) as db:
        seed_site(db, config)
    with Session(site) as session, session.begin():
        seed_site(session, config)
    yield site, registry_engine
    site.dispose()
    registry_engine.dispose()


def test_secure_only_is_set_at_central_then_reaches_the_site(
    station: Run, ends: tuple[Engine, Engine]
) -> None:
    site, registry_engine = ends
    with central.session(registry_engine) as db:
        ines = registry.add_member(db, "Inès", "Moreau")
        ines_id = ines.id
    status, result, err = station("member", "secure-only", "Inès Moreau", "on", json_output=False)
    assert status == 0, err
    assert "secure only on at central" in str(result)
    assert "no secure badge yet" in str(result)  # said, since nothing of hers opens now
    with Session(registry_engine) as session:
        assert session.get_one(Member, ines_id).secure_only is True
    with Session(site) as session:
        assert session.get(Member, ines_id) is None  # not before the sync
    sync_down(site, registry_engine, batch_size=100)
    with Session(site) as session:
        assert session.get_one(Member, ines_id).secure_only is True
    with central.session(registry_engine) as db:
        card = Credential(CredentialKind.SECURE, bytes(range(16)))
        registry.enroll_badge(db, db.get_one(Member, ines_id), card, b"k" * 32)
    status, result, _ = station("member", "secure-only", str(ines_id), "off")
    assert (status, result) == (
        0,
        {"member": "Inès Moreau", "secure_only": False, "secure_badges": 1},
    )


def test_a_resource_requires_secure_badges_and_the_list_says_so(
    station: Run, ends: tuple[Engine, Engine]
) -> None:
    site, registry_engine = ends
    status, result, err = station("resource", "require-secure", "front-door", "on")
    assert status == 0, err
    assert result == {"resource": "front-door", "require_secure": True}
    sync_down(site, registry_engine, batch_size=100)
    status, rows, _ = station("resource", "list")
    assert status == 0
    assert isinstance(rows, list)
    flags = {row["code"]: row["require_secure"] for row in rows}
    assert flags["front-door"] is True and flags["laser-cutter"] is False
    with Session(site) as session:
        door = session.scalars(select(Resource).where(Resource.code == "front-door")).one()
        assert door.require_secure is True


def test_an_unknown_resource_or_state_is_refused(station: Run, ends: tuple[Engine, Engine]) -> None:
    _, registry_engine = ends
    status, _, err = station("resource", "require-secure", "back-door", "on")
    assert status != 0 and "no resource 'back-door'" in err
    with pytest.raises(SystemExit) as exited:
        station("resource", "require-secure", "front-door", "maybe")
    assert exited.value.code == 2
    with Session(registry_engine) as session:  # nothing changed
        assert not any(session.scalars(select(Resource.require_secure)))
