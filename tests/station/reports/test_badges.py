"""`station report badges`: badges by kind, secure-only people, the policy's refusals."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from station import registry
from station.cli.main import main
from station.credential import Credential, CredentialKind
from station.db import AccessEvent, make_engine
from station.ids import new_event_id
from station.reports.badges import badge_figures
from station.rules import Reason

ROOT = Path(__file__).resolve().parents[3]
SITE = "saint-omer-gare"
KEY = b"k" * 32
NOON = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)


def secure(n: int) -> Credential:
    return Credential(CredentialKind.SECURE, bytes([n]) * 16)


@pytest.fixture
def engine(site_db: str) -> Iterator[Engine]:
    """Inès: a plain and a secure badge, secure-only; Léo: secure-only with a plain badge
    alone; Camille: two plain badges, one revoked; Sam: a lost secure badge."""
    engine = make_engine(site_db)
    with Session(engine) as session, session.begin():
        ines = registry.add_member(session, "Inès")
        registry.enroll_badge(session, ines, Credential.uid("04000001"), KEY)
        registry.enroll_badge(session, ines, secure(1), KEY)
        ines.secure_only = True
        leo = registry.add_member(session, "Léo")
        registry.enroll_badge(session, leo, Credential.uid("04000002"), KEY)
        leo.secure_only = True
        camille = registry.add_member(session, "Camille")
        registry.enroll_badge(session, camille, Credential.uid("04000003"), KEY)
        old = registry.enroll_badge(session, camille, Credential.uid("04000004"), KEY)
        registry.revoke_badge(session, old)
        sam = registry.add_member(session, "Sam")
        registry.revoke_badge(session, registry.enroll_badge(session, sam, secure(2), KEY))
        refusals = [
            (Reason.SECURE_REQUIRED, NOON),
            (Reason.SECURE_REQUIRED, NOON - dt.timedelta(days=40)),
            (Reason.AUTH_FAILED, NOON),
            (Reason.UNKNOWN_BADGE, NOON),  # not the policy's
        ]
        for reason, at in refusals:
            session.add(
                AccessEvent(
                    id=new_event_id(),
                    site_id=SITE,
                    agent_id="front-door",
                    resource="front-door",
                    type="denied",
                    reason=reason.value,
                    at=at,
                )
            )
    yield engine
    engine.dispose()


def test_figures_by_kind_and_the_refusals_since_a_day(engine: Engine) -> None:
    with engine.connect() as db:
        figures = badge_figures(db, NOON - dt.timedelta(days=30), SITE)
    kinds = {k.kind: (k.active, k.holders) for k in figures.kinds}
    assert kinds == {"uid": (3, 3), "secure": (1, 1)}
    assert (figures.secure_only, figures.secure_only_without_secure) == (2, 1)  # Léo: locked out
    assert figures.refusals == {
        Reason.SECURE_REQUIRED: 1,
        Reason.AUTH_FAILED: 1,
        Reason.BAD_READ: 0,
    }
    with engine.connect() as db:
        assert badge_figures(db).refusals[Reason.SECURE_REQUIRED] == 2  # every event held
        assert badge_figures(db, site="elsewhere").refusals[Reason.AUTH_FAILED] == 0


def test_the_command_prints_them(
    engine: Engine,
    site_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("STATION_DATABASE_URL", site_db)
    assert main(["--config", str(config), "--json", "report", "badges", "--days", "0"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record == {
        "uid_badges": 3,
        "uid_holders": 3,
        "secure_badges": 1,
        "secure_holders": 1,
        "secure_only_people": 2,
        "secure_only_without_secure_badge": 1,
        "denied_secure_required": 2,
        "denied_auth_failed": 1,
        "denied_bad_read": 0,
    }
    assert main(["--config", str(config), "report", "badges", "--days", "-1"]) != 0
    assert "--days must be 0 or more" in capsys.readouterr().err
