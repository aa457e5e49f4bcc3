"""`station sync --once` and `station sync` as real processes (SQLite central, as the demo)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from station.config import load_config
from station.db import Badge, make_engine
from sync.service import SyncService
from tests.support.cli import station_argv
from tests.support.wait import poll
from tests.sync.support import add_people, unique_site


def station(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        station_argv(config, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
    )


def prepared(config_factory: Callable[..., Path]) -> Path:
    path = config_factory({"site": {"id": unique_site()}})
    for args in (("db", "upgrade"), ("db", "upgrade", "--central")):
        assert station(path, *args).returncode == 0
    config = load_config(path)
    engine = make_engine(config.resolve_url(config.central.url))
    try:
        add_people(engine, 3)
    finally:
        engine.dispose()
    return path


@pytest.mark.mqtt  # its configuration must name the test broker
def test_once_syncs_and_reports(config_factory: Callable[..., Path]) -> None:
    path = prepared(config_factory)
    result = station(path, "--json", "sync", "--once")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["downloaded"] >= 9
    assert sorted(report["published"]) == ["front-door", "laser-cutter", "printer-3d"]
    config = load_config(path)
    site = make_engine(config.resolve_url(config.database.url))
    with site.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Badge)).scalar() == 3
    site.dispose()


def test_a_service_log_starts_without_alembic_chatter(config_factory: Callable[..., Path]) -> None:
    path = prepared(config_factory)
    result = station(path, "sync", "--once", "--no-mqtt")
    assert result.returncode == 0, result.stderr
    assert " INFO sync.service: central: in step" in result.stderr  # the service's own INFO
    assert "alembic" not in result.stderr  # no "setup plugin", no "Context impl"


@pytest.mark.mqtt  # its configuration must name the test broker
def test_once_fails_without_central(config_factory: Callable[..., Path]) -> None:
    path = config_factory(
        {
            "central": {"url": "postgresql+psycopg://x@127.0.0.1:9/none"},
            "site": {"id": unique_site()},
        }
    )
    assert station(path, "db", "upgrade").returncode == 0
    result = station(path, "--json", "sync", "--once")
    assert result.returncode == 1
    assert "central registry" in json.loads(result.stdout)["error"]


def test_once_on_a_central_not_set_up_says_to_upgrade_it(
    config_factory: Callable[..., Path],
) -> None:
    from station.db import upgrade

    path = config_factory({"site": {"id": unique_site()}})
    assert station(path, "db", "upgrade").returncode == 0
    central = path.parent / "central.db"
    missing = station(path, "sync", "--once", "--no-mqtt")
    assert not central.exists()  # not created empty by the attempt
    central.touch()
    empty = station(path, "sync", "--once", "--no-mqtt")
    upgrade(f"sqlite:///{central}", "0001")  # an older release's schema
    behind = station(path, "--json", "sync", "--once", "--no-mqtt")
    for result, state in (
        (missing, "does not exist yet"),
        (empty, "is empty"),
        (behind, "is at schema 0001"),
    ):
        assert result.returncode == 1
        assert "central registry" in result.stderr and state in result.stderr
        assert "run `station db upgrade --central`" in result.stderr
        assert "Traceback" not in result.stderr and "no such table" not in result.stderr
        assert result.stdout == ""  # stopped before any round


def test_once_on_a_site_not_set_up_says_to_upgrade_it(config_factory: Callable[..., Path]) -> None:
    path = config_factory({"site": {"id": unique_site()}})
    assert station(path, "db", "upgrade", "--central").returncode == 0
    (path.parent / "site.db").touch()
    result = station(path, "sync", "--once", "--no-mqtt")
    assert result.returncode == 1
    assert "the site database" in result.stderr and "is empty" in result.stderr
    assert "run `station db upgrade`" in result.stderr and "Traceback" not in result.stderr


def test_a_round_against_a_central_without_tables_says_to_upgrade_it(
    config_factory: Callable[..., Path], site_db: str
) -> None:
    """Central set up after sync started, or reset under it: the round says what to do."""
    config = load_config(config_factory({"site": {"id": unique_site()}}))
    site, central = make_engine(site_db), make_engine(f"sqlite:///{config.source.parent}/c.db")
    try:
        with SyncService(
            config, site_engine=site, central_engine=central, mqtt=False, listen=False
        ) as service:
            report = service.round()
            assert not report.ok
            assert report.error.startswith("central registry: no such table")
            assert report.error.endswith("run `station db upgrade --central`")
            assert service.states["central"].startswith("not set up")
    finally:
        site.dispose()
        central.dispose()


@pytest.mark.mqtt  # its configuration must name the test broker
def test_continuous_logs_state_changes_and_stops_on_sigterm(
    config_factory: Callable[..., Path],
) -> None:
    path = prepared(config_factory)
    log_path = path.parent / "sync.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            station_argv(path, "sync"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def both_logged() -> bool:
            text = log_path.read_text()
            assert process.poll() is None, text  # died: fail now, with its log
            return all(line in text for line in ("central: in step", "broker: connected"))

        assert poll(both_logged, 30, interval=0.1) is not None, log_path.read_text()
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
    finally:
        if process.poll() is None:
            process.kill()
    text = log_path.read_text()
    assert text.count("central: in step") == 1  # one line per change, not per round
    assert "broker: connected" in text


def test_first_sync_progress_bar_when_interactive(config_factory: Callable[..., Path]) -> None:
    import io

    from rich.console import Console

    from station.cli.context import Context
    from station.cli.sync_cmd import _progress_bar
    from sync.service import SyncService

    path = prepared(config_factory)
    context = Context(config_file=str(path))
    context.console = Console(file=io.StringIO(), force_terminal=True, width=100)
    bar = _progress_bar(context)
    with SyncService(context.config, mqtt=False, listen=False, progress=bar) as service:
        assert service.round().ok
        assert bar.task is not None  # shown on the first sync...
        shown = context.console.file.getvalue()  # type: ignore[attr-defined]
        assert "registry from central" in shown and "100%" in shown
        second = _progress_bar(context)
        service.progress = second
        assert service.round().ok
        assert second.task is None  # ...and not on later ones
    context.close()
