"""A kiosk on a temporary site database, with the simulated reader and a settable clock
(the helpers are in tests/support/kiosk_env.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from station.config import StationConfig, load_config
from station.db import make_engine
from tests.support.kiosk_env import Clock, KioskEnv, populate, settle


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
