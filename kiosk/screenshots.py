"""Render every kiosk screen, in French then English, to PNG files (docs/screens/).

Runs offscreen on a throwaway demo database with a fixed clock, so the pictures
are the same on every machine: ``station kiosk --screenshots docs/screens``.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hardware.readers.sim import parse_badge
from station import registry, staff_pin
from station.config import StationConfig
from station.config.connections import DatabaseConfig
from station.credential import Credential
from station.db import AgentStatus, MemberKind, make_engine, upgrade
from station.seed import seed_site

SIZE = (1280, 800)
STAFF_PIN = "1234"  # Dana's: staff mode opens with it
UIDS = {
    "alice": "04A1B2C3",
    "bob": "04000001",
    "carl": "04000002",
    "dana": "secure:5354010123456789ABCDEF0123456789",  # staff mode needs a secure badge
    "unknown": "04DEADBEEF",
    "blank": "04C0FFEE",
}
PEOPLE = [
    ("Alice", "Martin", MemberKind.MEMBER, dt.date(2027, 9, 30), "alice"),
    ("Bob", "Durand", MemberKind.MEMBER, dt.date(2026, 6, 30), "bob"),
    ("Carl", "Petit", MemberKind.MEMBER, dt.date(2027, 9, 30), "carl"),
    ("Dana", "Leroy", MemberKind.STAFF, None, "dana"),
    ("Émile", "Roux", MemberKind.MEMBER, dt.date(2027, 9, 30), "e1"),
    ("Fatou", "Diallo", MemberKind.MEMBER, dt.date(2027, 9, 30), "e2"),
    ("Gaspard", "Lefebvre", MemberKind.MEMBER, dt.date(2027, 9, 30), "e3"),
]
AGENDA = """BEGIN:VCALENDAR
BEGIN:VEVENT
DTSTART;TZID=Europe/Paris:{day}T140000
DTEND;TZID=Europe/Paris:{day}T170000
SUMMARY:Atelier découverte de l'impression 3D
LOCATION:Fablab
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Paris:{day}T180000
SUMMARY:Café numérique : sécuriser son smartphone
LOCATION:Aide au numérique
END:VEVENT
END:VCALENDAR
"""


def _demo_database(config: StationConfig, url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        seed_site(session, config)
        for first, last, kind, until, key in PEOPLE:
            member = registry.add_member(
                session,
                first,
                last,
                kind=kind,
                membership_until=until,
                today=dt.date(2026, 1, 1),
                home_commune="62765",
            )
            uid = UIDS.get(key) or f"04E0000{key[-1]}"
            badge = registry.enroll_badge(session, member, parse_badge(uid), config.badge_key)
            if key == "carl":
                registry.revoke_badge(session, badge)
            if kind is MemberKind.STAFF:
                staff_pin.set_pin(session, member, STAFF_PIN)
        statuses = {
            "front-door": (
                True,
                {"mode": "normal", "door": "closed", "relay": False, "outbox_depth": 0},
            ),
            "laser-cutter": (
                True,
                {"mode": "in_use", "relay": True, "busy": True, "outbox_depth": 2},
            ),
            "printer-3d": (False, {"mode": "free", "relay": False}),
        }
        # What sync last sent each: the door holds it (in step), the laser is a version
        # behind, the printer was never sent anything (state unknown).
        digest = "ab" * 32
        expected = {"front-door": (42, digest), "laser-cutter": (43, digest)}
        for agent_id, (online, status) in statuses.items():
            if agent_id in config.agents:
                version, sent = expected.get(agent_id, (0, ""))
                session.add(
                    AgentStatus(
                        agent_id=agent_id,
                        online=online,
                        grants_version=42,
                        status={**status, "grants_digest": digest},
                        expected_version=version,
                        expected_digest=sent,
                    )
                )
        session.commit()
    engine.dispose()


def render_all(config: StationConfig, out_dir: Path, kiosk_id: str | None = None) -> list[Path]:
    """Write ``<screen>-<fr|en>.png`` for every screen; returns the paths written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    from hardware.readers.sim import SimReader
    from kiosk.app import Kiosk
    from kiosk.screens import Screen

    kiosk_id = kiosk_id or next(iter(config.kiosks))
    zone = ZoneInfo(config.site.timezone)
    moment = [dt.datetime(2026, 11, 24, 10, 30, tzinfo=zone).astimezone(dt.UTC)]
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-shots-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'demo.db'}"
        agenda = Path(scratch) / "agenda.ics"
        agenda.write_text(AGENDA.format(day="20261124"), encoding="utf-8")
        entrance = config.kiosks[kiosk_id].model_copy(update={"calendar_url": agenda.as_uri()})
        demo = config.model_copy(
            update={
                "database": DatabaseConfig(url=url),
                "kiosks": {**config.kiosks, kiosk_id: entrance},
            }
        )
        _demo_database(demo, url)
        demo_purposes = {p.id for p in demo.purposes}
        kiosk = Kiosk(
            demo,
            kiosk_id,
            clock=lambda: moment[0],
            bus=False,
            reader_factory=lambda sink: SimReader("shots", entrance.reader, sink),
        )
        app = QApplication.instance()
        assert app is not None
        try:
            kiosk.start()
            window, ctl = kiosk.window, kiosk.controller
            deadline = time.monotonic() + 10
            while not ctl.feed and time.monotonic() < deadline:  # fetched in a thread
                app.processEvents()
                time.sleep(0.01)
            # The kiosk's screen, as full screen gives it: a view whose text needs a few
            # more pixels is laid out within it, never makes the picture taller.
            window.setFixedSize(*SIZE)
            ctl.worker.drain()
            # A few people already in, in different spaces.
            for key, purpose in (("e1", "coworking"), ("e2", "fablab"), ("e3", "fablab")):
                tapped = kiosk.service.tap(Credential.uid(f"04E0000{key[-1]}"))
                if tapped.visit_id is not None and purpose in demo_purposes:
                    kiosk.service.choose_purpose(tapped.visit_id, purpose)
            ctl.go_idle()

            def settled(action: Callable[[], object]) -> Callable[[], None]:
                """`action`, then wait for the database worker's answers."""

                def run() -> None:
                    action()
                    ctl.worker.drain()

                return run

            def tap(key: str) -> None:
                ctl.handle_badge(parse_badge(UIDS[key]))
                ctl.worker.drain()

            def staff_tab(index: int) -> Callable[[], None]:
                def show() -> None:
                    if ctl.screen is not Screen.STAFF:
                        tap("dana")
                        settled(lambda: ctl.pin.submit(STAFF_PIN))()
                        ctl.staff.search("Martin")
                        ctl.worker.drain()
                        # No broker here: show the command buttons as with one.
                        ctl._on_bus_state(True)
                    window.staff.tabs.setCurrentIndex(index)

                return show

            def pin_pad() -> None:
                """After one wrong PIN, four digits typed again."""
                dana = kiosk.service.tap(parse_badge(UIDS["dana"])).member_id
                assert dana is not None
                kiosk.service.check_pin(dana, STAFF_PIN)  # no wrong PIN before each picture
                tap("dana")
                settled(lambda: ctl.pin.submit("0000"))()
                for digit in "2468":
                    window.pin_pad.press(digit)

            def visitor() -> None:
                ctl.begin_visitor()
                form = window.visitor
                form.first_name.setText("Chloé")
                form.email.setText("chloe@example.org")
                form.commune.setCurrentIndex(form.commune.findData("62765"))
                form.purpose_buttons["fablab"].setChecked(True)

            def visitor_badge() -> None:
                visitor()
                window.visitor.consent.setChecked(True)
                window.visitor.submit.click()
                ctl.worker.drain()

            def welcome() -> None:
                tap("alice")
                if ctl.screen is Screen.GOODBYE:  # she was still in from the previous picture
                    settled(ctl.go_idle)()
                    tap("alice")

            def goodbye() -> None:
                welcome()
                moment[0] += dt.timedelta(hours=2, minutes=15)
                tap("alice")

            screens: list[tuple[str, Callable[[], None]]] = [
                ("idle", settled(ctl.go_idle)),
                ("welcome", welcome),
                ("goodbye", goodbye),
                ("expired", lambda: tap("bob")),
                ("unknown", lambda: tap("unknown")),
                ("revoked", lambda: tap("carl")),
                ("visitor", visitor),
                ("visitor-badge", visitor_badge),
                ("staff-pin", pin_pad),
                ("staff-present", staff_tab(0)),
                ("staff-equipment", staff_tab(1)),
                ("staff-badges", staff_tab(2)),
                ("staff-today", staff_tab(3)),
            ]
            for name, reach in screens:
                for language in ("fr", "en"):
                    settled(ctl.go_idle)()
                    reach()
                    ctl.set_language(language)
                    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
                    app.processEvents()
                    path = out_dir / f"{name}-{language}.png"
                    if not window.grab().save(str(path)):
                        raise OSError(f"cannot write {path}")
                    written.append(path)
                moment[0] = dt.datetime(2026, 11, 24, 10, 30, tzinfo=zone).astimezone(dt.UTC)
        finally:
            kiosk.close()
    return written
