"""A kiosk on a temporary site database, with the simulated reader and a settable clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from station import registry
from station.config import StationConfig, load_config
from station.credential import Credential
from station.db import MemberKind, make_engine
from station.seed import seed_site

PARIS = ZoneInfo("Europe/Paris")
TUESDAY_10H = dt.datetime(2026, 11, 24, 10, 0, tzinfo=PARIS).astimezone(dt.UTC)

ALICE, EXPIRED, REVOKED, STAFF, BLANK = "04A1B2C3", "04000001", "04000002", "04000003", "04C0FFEE"


class Clock:
    """The kiosk's clock, moved by the tests."""

    def __init__(self, now: dt.datetime = TUESDAY_10H) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def populate(session: Session, config: StationConfig) -> None:
    """Alice (member), Bob (expired), Carl (revoked badge), Dana (staff)."""
    seed_site(session, config)
    key = config.site_key
    people = [
        ("Alice", "Martin", MemberKind.MEMBER, dt.date(2099, 1, 1), ALICE),
        ("Bob", "Durand", MemberKind.MEMBER, dt.date(2026, 6, 30), EXPIRED),
        ("Carl", "Petit", MemberKind.MEMBER, dt.date(2099, 1, 1), REVOKED),
        ("Dana", "Leroy", MemberKind.STAFF, None, STAFF),
    ]
    for first, last, kind, until, uid in people:
        member = registry.add_member(
            session,
            first,
            last,
            kind=kind,
            membership_until=until,
            today=dt.date(2026, 1, 1),
            email=f"{first.lower()}@ex.org",
        )
        badge = registry.enroll_badge(session, member, Credential.uid(uid), key)
        if uid == REVOKED:
            registry.revoke_badge(session, badge)
    session.commit()


@dataclass
class KioskEnv:
    config: StationConfig
    clock: Clock
    db_url: str


@pytest.fixture
def kiosk_env(site_db: str, config_factory: Callable[..., Path]) -> KioskEnv:
    path = config_factory(
        {
            "kiosks": {
                "entrance": {
                    "idle_timeout_s": 20,
                    "staff_timeout_s": 60,
                    "reader": {"path": "sim:kiosk", "debounce_s": 0},
                }
            }
        }
    )
    config = load_config(path)
    engine = make_engine(site_db)
    with Session(engine) as session:
        populate(session, config)
    engine.dispose()
    return KioskEnv(config, Clock(), site_db)


@pytest.fixture
def make_kiosk(kiosk_env: KioskEnv, qtbot: Any) -> Iterator[Callable[..., Any]]:
    from kiosk.app import Kiosk

    made: list[Kiosk] = []

    def make(*, bus: bool = False, config: StationConfig | None = None, **kwargs: Any) -> Kiosk:
        kiosk = Kiosk(
            config or kiosk_env.config, "entrance", clock=kiosk_env.clock, bus=bus, **kwargs
        )
        made.append(kiosk)
        kiosk.start()
        qtbot.waitUntil(
            lambda: kiosk.bridge.reader is not None and kiosk.bridge.reader.available, timeout=5000
        )
        settle(qtbot, kiosk)  # the idle screen's first figures are in
        return kiosk

    yield make
    for kiosk in made:
        kiosk.close()


@pytest.fixture
def kiosk(make_kiosk: Callable[..., Any]) -> Any:
    return make_kiosk()


def settle(qtbot: Any, kiosk: Any) -> None:
    """Wait until the kiosk's database worker has answered all that was asked of it."""
    qtbot.waitUntil(lambda: kiosk.controller.worker.idle, timeout=5000)


def tap(qtbot: Any, kiosk: Any, uid: str, screen: str) -> None:
    """Present a badge on the simulated reader, wait for `screen`, take the badge off."""
    shown: list[str] = []
    kiosk.controller.screen_changed.connect(lambda name, _data: shown.append(name))
    kiosk.bridge.reader.present(uid)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    kiosk.bridge.reader.remove()
    settle(qtbot, kiosk)
    assert kiosk.controller.screen == screen, f"expected {screen}, got {shown}"
