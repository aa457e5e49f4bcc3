"""Staff mode shows how many of central's refusals of this site wait to be dealt with.

The refusals come down from central with the sync (`central_refusals`, scoped to
their site); the kiosk reads the site database only, so it counts those rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from sqlalchemy import update
from sqlalchemy.orm import Session

from station.db import make_engine
from station.db.refusals import CentralRefusal, RefusalReason
from station.ids import new_id
from tests.support.kiosk_env import KioskEnv, open_staff_mode, settle


def came_down(env: KioskEnv, site: str) -> None:
    """A refusal of `site` as the sync writes it at the site: central's row."""
    engine = make_engine(env.db_url)
    with Session(engine) as session, session.begin():
        session.add(
            CentralRefusal(
                site_id=site,
                entity="credentials",
                entity_id=str(new_id()),
                reason=RefusalReason.BADGE_HELD,
                detail="badge already held by Eve Martin (0123abcd) at central",
                member_id=new_id(),
                other_member_id=new_id(),
                at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
                revision=7,
            )
        )
    engine.dispose()


def resolved_at_central(env: KioskEnv) -> None:
    engine = make_engine(env.db_url)
    with engine.begin() as connection:
        connection.execute(
            update(CentralRefusal).values(resolved_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
        )
    engine.dispose()


def test_staff_mode_shows_the_count_of_open_refusals_of_its_site(
    qtbot: Any, kiosk: Any, kiosk_env: KioskEnv
) -> None:
    open_staff_mode(qtbot, kiosk)
    staff = kiosk.window.staff
    assert not staff.refusals.isVisible()  # none yet
    came_down(kiosk_env, kiosk_env.config.site.id)
    came_down(kiosk_env, "another-site")  # not this site's: not counted
    qtbot.mouseClick(staff.refresh_button, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert staff.refusals.isVisible()
    assert staff.refusals.text() == (
        "Refus du registre à traiter : 1. Voyez la page Refus de la console."
    )
    resolved_at_central(kiosk_env)  # a merge at central, then the next sync
    qtbot.mouseClick(staff.refresh_button, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert not staff.refusals.isVisible()
