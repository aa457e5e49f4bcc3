"""What the idle screen and staff mode show about now: how full each space is."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from station.db import Visit, make_engine
from station.today import SpaceFill, occupancy

SITE = "saint-omer-gare"
MORNING = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


def test_occupancy_counts_open_visits_per_space_with_a_capacity(site_db: str) -> None:
    engine = make_engine(site_db)
    try:
        with Session(engine) as session, session.begin():
            for minutes, space, out in (
                (0, "coworking", False),
                (5, "coworking", False),
                (10, "coworking", True),  # gone: not counted
                (15, "fablab", False),
                (20, "hall", False),
                (25, "digital-help", False),
            ):
                at = MORNING + dt.timedelta(minutes=minutes)
                session.add(
                    Visit(
                        kiosk_id="entrance",
                        purpose=space,
                        space=space,
                        checked_in_at=at,
                        site_id=SITE,
                        checked_out_at=at + dt.timedelta(hours=1) if out else None,
                    )
                )
            session.add(
                Visit(
                    kiosk_id="entrance",
                    purpose="fablab",
                    space="fablab",  # elsewhere
                    checked_in_at=MORNING,
                    site_id="another-site",
                )
            )
        with Session(engine) as session:
            capacities = {
                "coworking": 40,
                "fablab": 2,
                "creativity": 20,
                "hall": 0,
                "digital-help": 0,
            }
            fills = occupancy(session, SITE, capacities)
            assert occupancy(session, SITE, {"hall": 0}) == ()
    finally:
        engine.dispose()
    # In the order of the configuration; spaces without a capacity are left out.
    assert fills == (
        SpaceFill("coworking", 2, 40),
        SpaceFill("fablab", 1, 2),
        SpaceFill("creativity", 0, 20),
    )
    assert [f.full for f in fills] == [False, False, False]
    assert SpaceFill("fablab", 2, 2).full and SpaceFill("fablab", 3, 2).ratio == 1.5
    assert fills[0].ratio == 0.05
