"""Shared fixtures: real services (mosquitto, PostgreSQL, pcscd + vpcd), databases,
configuration files, Qt offscreen.

Under ``./tools/test`` the services already run and STATION_TEST_* variables say
where; run alone, ``pytest`` starts what it needs itself, or skips with the reason
when a service is not installed.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Before anything imports Qt: no display in tests, and Qt (the on-screen keyboard
# above all) writes into ~/.config and ~/.cache.
_SCRATCH = Path(tempfile.mkdtemp(prefix="station-tests-"))
atexit.register(shutil.rmtree, _SCRATCH, True)
os.environ["QT_QPA_PLATFORM"] = os.environ.get("STATION_TEST_QT_PLATFORM", "offscreen")
for _name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
    (_SCRATCH / _name).mkdir(mode=0o700)
    os.environ[_name] = str(_SCRATCH / _name)
# The developer's own STATION_* settings (config path, database URL...) must not
# leak into the tests; the harness's STATION_TEST_* ones stay.
for _name in [
    n for n in os.environ if n.startswith("STATION_") and not n.startswith("STATION_TEST_")
]:
    del os.environ[_name]

import pytest  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.support import pcsc  # noqa: E402
from tests.support.config import write_config  # noqa: E402
from tests.support.mqtt import NO_BROKER, BrokerAddress, Mosquitto  # noqa: E402
from tests.support.postgres import (  # noqa: E402
    PostgresServer,
    create_database,
    drop_database,
    server_binaries,
)
from tests.support.sqlite_copy import copy_sqlite  # noqa: E402
from tests.support.vcard import VirtualCard  # noqa: E402

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Tests using these fixtures get the service's marker, so `-m "not pcsc"` works.
_SERVICE_MARKS = {
    "mqtt_broker": "mqtt",
    "private_broker": "mqtt",
    "pg_server_url": "postgres",
    "pg_url": "postgres",
    "pg_migrated_url": "postgres",
    "pcscd": "pcsc",
    "virtual_card": "pcsc",
    "restart_pcscd": "pcsc",
}


def pytest_report_header() -> str:
    given = [
        f"{name}={os.environ[name]}"
        for name in ("STATION_TEST_MQTT_PORT", "STATION_TEST_PG_URL", "STATION_TEST_PCSC")
        if name in os.environ
    ]
    return "services: " + (", ".join(given) if given else "started by the fixtures as needed")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        for fixture, mark in _SERVICE_MARKS.items():
            if fixture in names:
                item.add_marker(mark)


# ---- MQTT -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mqtt_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerAddress]:
    """The session's broker: tools/test's (STATION_TEST_MQTT_PORT) or one started here."""
    port = os.environ.get("STATION_TEST_MQTT_PORT")
    if port:
        yield BrokerAddress("127.0.0.1", int(port))
        return
    try:
        broker = Mosquitto(tmp_path_factory.mktemp("mosquitto"))
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    with broker:
        yield broker.address


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A broker of the test's own, running; ``.stop()``/``.start()`` keep its port."""
    try:
        broker = Mosquitto(tmp_path / "mosquitto")
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    with broker:
        yield broker


# ---- PostgreSQL -------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """Admin URL of the PostgreSQL server: tools/test's or one started here."""
    url = os.environ.get("STATION_TEST_PG_URL")
    if url:
        yield url
        return
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    server = PostgresServer(binaries)
    try:
        server.start()
        yield server.url
    finally:
        server.close()


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty database for this test (dropped after it)."""
    url = create_database(pg_server_url)
    try:
        yield url
    finally:
        drop_database(pg_server_url, url)


@pytest.fixture(scope="session")
def _pg_template(pg_server_url: str) -> Iterator[str]:
    # Migrate once per session; each test gets a copy (Alembic takes a while).
    from station.db import upgrade

    url = create_database(pg_server_url)
    try:
        upgrade(url)  # its engine is disposed after: nobody stays connected to the template
        yield str(make_url(url).database)
    finally:
        drop_database(pg_server_url, url)


@pytest.fixture
def pg_migrated_url(pg_server_url: str, _pg_template: str) -> Iterator[str]:
    """A fresh database for this test at the head revision (dropped after it)."""
    url = create_database(pg_server_url, template=_pg_template)
    try:
        yield url
    finally:
        drop_database(pg_server_url, url)


# ---- PC/SC ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pcscd() -> Iterator[pcsc.Pcscd]:
    """pcscd running with the vpcd virtual readers (tools/test's, a running one, or ours)."""
    missing = pcsc.available()
    if missing:
        pytest.skip(missing)
    with pcsc.exclusive():
        info = pcsc.ensure()
        yield info
        if info.started_here and not os.environ.get("STATION_TEST_PCSC"):
            pcsc.stop()


@pytest.fixture
def restart_pcscd(pcscd: pcsc.Pcscd) -> Callable[[], None]:
    """Stop pcscd and start a new one (cards inserted before are dropped by vpcd)."""
    return pcsc.restart


@pytest.fixture
def virtual_card(pcscd: pcsc.Pcscd) -> Iterator[Callable[..., VirtualCard]]:
    """Factory of virtual cards, not yet inserted: ``virtual_card("04A1B2C3").insert()``.

    Takes `VirtualCard`'s keyword arguments (port=35964 for the second reader,
    answer=...). Cards are removed after the test, and the fixture waits until
    pcscd has seen the readers empty, so the next test starts from no card.
    """
    cards: list[VirtualCard] = []

    def make(uid: bytes | str = b"\x04\xa1\xb2\xc3", **kwargs: Any) -> VirtualCard:
        card = VirtualCard(bytes.fromhex(uid) if isinstance(uid, str) else uid, **kwargs)
        cards.append(card)
        return card

    yield make
    for card in cards:
        card.remove()
    for port in {card.port for card in cards}:
        if port in pcscd.ports and pcsc.running_pid() is not None:
            pcsc.wait_card(pcscd.readers[pcscd.ports.index(port)], present=False)


# ---- databases and configuration ------------------------------------------------


@pytest.fixture(scope="session")
def _site_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Migrate once per session; each test gets a copy (Alembic takes a while).
    from station.db import upgrade

    path = tmp_path_factory.mktemp("site-template") / "site.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def site_db(_site_db_template: Path, tmp_path: Path) -> str:
    """URL of a temporary SQLite site database at the head revision."""
    return copy_sqlite(_site_db_template, tmp_path / "site.db")


@pytest.fixture
def site_session(site_db: str) -> Iterator[Session]:
    """A SQLAlchemy session on `site_db` (closed, engine disposed after the test)."""
    from sqlalchemy.orm import Session

    from station.db import make_engine

    engine = make_engine(site_db)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _uses_broker(request: pytest.FixtureRequest) -> bool:
    return (
        "mqtt_broker" in request.fixturenames or request.node.get_closest_marker("mqtt") is not None
    )


@pytest.fixture
def config_factory(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[..., Path]:
    """``make(overrides={...}, name="config.toml")``: the sample config.toml in tmp_path,
    databases in tmp_path; overrides deep-merge (None deletes).

    mqtt points at the session's broker only for a test that uses one (it asks for
    `mqtt_broker` or is marked ``mqtt``): the others, pure domain tests above all, do
    not start mosquitto, and their configuration names a port where nothing listens,
    so a test that talks MQTT without saying so fails at once instead of passing by luck.
    """
    broker = request.getfixturevalue("mqtt_broker") if _uses_broker(request) else NO_BROKER

    def make(overrides: Mapping[str, Any] | None = None, name: str = "config.toml") -> Path:
        return write_config(
            tmp_path,
            mqtt_host=broker.host,
            mqtt_port=broker.port,
            overrides=overrides,
            name=name,
        )

    return make


@pytest.fixture
def config_file(config_factory: Callable[..., Path]) -> Path:
    """Path of a working copy of config.toml for this test (see `config_factory`)."""
    return config_factory()
