"""`station deploy units`: a unit for every agent and kiosk of the configuration, sync
and the daily purge, 0644, idempotent, and accepted by `systemd-analyze verify`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from station.config import StationConfig
from station.deploy.units import STATION, deploy_units

# The units must name an executable that exists, or `systemd-analyze verify` says so.
HERE_STATION = str(Path(sys.executable).with_name("station"))


def test_a_unit_for_every_agent_and_kiosk_sync_and_the_purge(
    site_config: StationConfig, tmp_path: Path
) -> None:
    result = deploy_units(site_config, tmp_path / "units")
    expected = {f"system/station-agent@{a}.service" for a in site_config.agents}
    expected |= {f"user/station-kiosk@{k}.service" for k in site_config.kiosks}
    expected |= {f"autostart/station-kiosk-{k}.desktop" for k in site_config.kiosks}
    expected |= {
        "system/station-sync.service",
        "system/station-sync-once.service",
        "system/station-purge.service",
        "system/station-purge.timer",
    }
    assert len(site_config.agents) >= 2 and site_config.kiosks
    assert set(result.units) == expected == set(result.changed)
    written = {str(p.relative_to(result.out)) for p in result.out.rglob("*") if p.is_file()}
    assert written == expected
    for name in expected:
        path = result.out / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, name
        text = path.read_text()
        assert text.startswith("# Written by `station deploy units`"), name
        assert "%i" not in text, name
    for agent in site_config.agents:
        unit = (result.out / f"system/station-agent@{agent}.service").read_text()
        assert f"ExecStart={STATION} agent --id {agent}\n" in unit
        assert f"EnvironmentFile=-/etc/station/agent-{agent}.env\n" in unit
    for kiosk in site_config.kiosks:
        unit = (result.out / f"user/station-kiosk@{kiosk}.service").read_text()
        assert f"kiosk --id {kiosk} " in unit
        assert f"EnvironmentFile=-/etc/station/kiosk-{kiosk}.env\n" in unit
    once = (result.out / "system/station-sync-once.service").read_text()
    assert f"ExecStart={STATION} sync --once\n" in once and "Type=oneshot" in once
    # Its account over the service's: required, or it would run as sync and take over.
    assert once.index("EnvironmentFile=-/etc/station/secrets.env\n") < once.index(
        "EnvironmentFile=/etc/station/sync-once.env\n"
    )
    for kiosk in site_config.kiosks:
        # Autostart starts the kiosk's own unit, which reads its bundle's env file.
        desktop = (result.out / f"autostart/station-kiosk-{kiosk}.desktop").read_text()
        (exec_line,) = [line for line in desktop.splitlines() if line.startswith("Exec=")]
        assert exec_line.endswith(f'exec systemctl --user start station-kiosk@{kiosk}.service"')
        assert "import-environment DISPLAY XAUTHORITY WAYLAND_DISPLAY;" in exec_line
        assert "[Desktop Entry]\nType=Application\n" in desktop
    purge = (result.out / "system/station-purge.service").read_text()
    assert f"ExecStart={STATION} purge\n" in purge and "Type=oneshot" in purge
    timer = (result.out / "system/station-purge.timer").read_text()
    assert "OnCalendar=*-*-* 03:30:00" in timer and "Persistent=true" in timer


def test_deploying_units_again_changes_nothing(site_config: StationConfig, tmp_path: Path) -> None:
    first = deploy_units(site_config, tmp_path / "units")
    before = {p: p.read_bytes() for p in first.out.rglob("*") if p.is_file()}
    again = deploy_units(site_config, tmp_path / "units")
    assert again.changed == ()
    assert {p: p.read_bytes() for p in again.out.rglob("*") if p.is_file()} == before


def _verify(units: list[Path], *, user: bool, runtime: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}  # --user needs one, even empty
    command = ["systemd-analyze", "verify", *(["--user"] if user else []), *map(str, units)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_systemd_accepts_the_units(site_config: StationConfig, tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the units are not verified")
    result = deploy_units(site_config, tmp_path / "units", station=HERE_STATION)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    system = sorted((result.out / "system").iterdir())
    user = sorted((result.out / "user").iterdir())
    for units, as_user in ((system, False), (user, True)):
        checked = _verify(units, user=as_user, runtime=runtime)
        assert checked.returncode == 0, checked.stderr
        # verify reports some problems as warnings only, still exiting 0.
        mentioned = [line for line in checked.stderr.splitlines() if "station-" in line]
        assert mentioned == [], checked.stderr
    # And it would say so: a unit whose executable does not exist is refused.
    broken = tmp_path / "broken" / "station-sync.service"
    broken.parent.mkdir()
    broken.write_text(
        (result.out / "system/station-sync.service")
        .read_text()
        .replace(HERE_STATION, str(tmp_path / "no-such-station"))
    )
    assert _verify([broken], user=False, runtime=runtime).returncode != 0
