"""`station deploy units`: the site's systemd units, from the templates in deploy/.

Written under DIR (0644)::

    system/station-agent@<id>.service   one per agent (deploy/station-agent@.service)
    system/station-sync.service         the site's sync service
    system/station-sync-once.service    one round beside it, on demand (account sync-once)
    system/station-purge.service        the retention purge, `station purge` ...
    system/station-purge.timer          ... once a day
    user/station-kiosk@<id>.service     one per kiosk: a user unit of its session
    autostart/station-kiosk-<id>.desktop  ... started from XDG autostart, for sessions
                                        that never reach graphical-session.target

``system/`` goes to ``/etc/systemd/system/`` of the machine that runs it, ``user/`` to
the kiosk user's ``~/.config/systemd/user/``, ``autostart/`` to its
``~/.config/autostart/``. A template's leading comment (how to
install it by hand) gives way to a line saying where the unit comes from; ``%i`` is
the agent's or kiosk's id; the `station` executable may be another than /opt/station's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from station.config import StationConfig
from station.deploy import files

TEMPLATES = Path(__file__).resolve().parents[2] / "deploy"
STATION = "/opt/station/.venv/bin/station"  # the templates' executable
SYSTEM = "system"
USER = "user"
AUTOSTART = "autostart"


@dataclass(frozen=True)
class Unit:
    path: str  # relative to DIR: system/<name> or user/<name>
    template: str  # a file of deploy/
    instance: str | None = None  # what %i stands for


@dataclass(frozen=True)
class UnitsDeployment:
    out: Path
    units: tuple[str, ...]
    changed: tuple[str, ...]


def units(config: StationConfig) -> tuple[Unit, ...]:
    found = [
        Unit(f"{SYSTEM}/station-agent@{agent}.service", "station-agent@.service", agent)
        for agent in sorted(config.agents)
    ]
    found += [
        Unit(f"{SYSTEM}/station-sync.service", "station-sync.service"),
        Unit(f"{SYSTEM}/station-sync-once.service", "station-sync-once.service"),
        Unit(f"{SYSTEM}/station-purge.service", "station-purge.service"),
        Unit(f"{SYSTEM}/station-purge.timer", "station-purge.timer"),
    ]
    for kiosk in sorted(config.kiosks):
        found += [
            Unit(f"{USER}/station-kiosk@{kiosk}.service", "station-kiosk@.service", kiosk),
            Unit(f"{AUTOSTART}/station-kiosk-{kiosk}.desktop", "station-kiosk.desktop", kiosk),
        ]
    return tuple(found)


def render(unit: Unit, template: str, station: str) -> str:
    lines = template.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    text = "\n".join(lines) + "\n"
    if unit.instance is not None:
        text = text.replace("%i", unit.instance)
    text = text.replace(STATION, station)
    header = (
        f"# Written by `station deploy units` from deploy/{unit.template}: do not edit,\n"
        "# deploy again. See docs/deploy.md.\n"
    )
    return header + text


def deploy_units(
    config: StationConfig,
    out: Path,
    *,
    station: str = STATION,
    templates: Path = TEMPLATES,
) -> UnitsDeployment:
    out = out.resolve()
    every = units(config)
    changed = []
    for unit in every:
        text = render(unit, (templates / unit.template).read_text(encoding="utf-8"), station)
        if files.write(out / unit.path, text.encode(), files.PUBLIC):
            changed.append(unit.path)
    return UnitsDeployment(out, tuple(u.path for u in every), tuple(changed))
