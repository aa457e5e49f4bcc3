"""A kiosk's surroundings in the tests: its people, a settable clock, badges tapped on
the simulated reader."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from sqlalchemy import select
from sqlalchemy.orm import Session

from hardware.readers.sim import parse_badge
from kiosk.screens import Screen
from station import registry, staff_pin
from station.config import StationConfig
from station.credential import Credential
from station.db import MemberKind, Visit, make_engine
from station.seed import seed_site

PARIS = ZoneInfo("Europe/Paris")
TUESDAY_10H = dt.datetime(2026, 11, 24, 10, 0, tzinfo=PARIS).astimezone(dt.UTC)

ALICE, EXPIRED, REVOKED, BLANK = "04A1B2C3", "04000001", "04000002", "04C0FFEE"
# Staff mode asks for a secure badge (`staff_requires_secure`): Dana's is one, as the
# simulated reader presents a DESFire read in full; her old plain badge is STAFF_UID.
STAFF = "secure:5354010123456789ABCDEF0123456789"
STAFF_UID = "04000003"
STAFF_PIN = "2468"  # Dana's


class Clock:
    """The kiosk's clock, moved by the tests."""

    def __init__(self, now: dt.datetime = TUESDAY_10H) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def populate(session: Session, config: StationConfig) -> None:
    """Alice (member), Bob (expired), Carl (revoked badge), Dana (staff, PIN `STAFF_PIN`,
    a secure badge and a plain one)."""
    seed_site(session, config)
    key = config.badge_key
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
        badge = registry.enroll_badge(session, member, parse_badge(uid), key)
        if uid == REVOKED:
            registry.revoke_badge(session, badge)
        if kind is MemberKind.STAFF:
            staff_pin.set_pin(session, member, STAFF_PIN)
            registry.enroll_badge(session, member, Credential.uid(STAFF_UID), key)
    session.commit()


@dataclass
class KioskEnv:
    config: StationConfig
    clock: Clock
    db_url: str


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


def enter_pin(qtbot: Any, kiosk: Any, pin: str) -> None:
    """Type `pin` on the kiosk's PIN pad, touch OK, wait for the answer."""
    pad = kiosk.window.pin_pad
    assert kiosk.window.current is pad
    for digit in pin:
        qtbot.mouseClick(pad.digits[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pad.ok, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)


def open_staff_mode(qtbot: Any, kiosk: Any, uid: str = STAFF, pin: str = STAFF_PIN) -> None:
    """A staff badge, then its PIN on the pad: staff mode is open."""
    tap(qtbot, kiosk, uid, Screen.STAFF_PIN)
    enter_pin(qtbot, kiosk, pin)
    assert kiosk.controller.screen == Screen.STAFF


def sign_up(qtbot: Any, kiosk: Any, first_name: str, purpose: str) -> None:
    """A visitor signs up on the kiosk for ``purpose``; the kiosk goes back to idle."""
    kiosk.controller.submit_visitor(first_name, "", "62765", purpose, True)
    settle(qtbot, kiosk)
    assert kiosk.controller.screen == Screen.VISITOR_BADGE
    kiosk.controller.go_idle()
    settle(qtbot, kiosk)


def visits(env: KioskEnv) -> list[Visit]:
    """Every visit in the site database, first check-in first."""
    engine = make_engine(env.db_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(Visit).order_by(Visit.checked_in_at)))
    finally:
        engine.dispose()


def small_fablab(config: Any) -> Any:
    """The sample spaces with a fablab of 2 places and an event hall not counted."""
    spaces = dict(config.spaces)
    spaces["fablab"] = spaces["fablab"].model_copy(update={"capacity": 2})
    spaces["hall"] = spaces["hall"].model_copy(update={"capacity": 0})
    return config.model_copy(update={"spaces": spaces})
