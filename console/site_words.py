"""The words of the live site page: alarms, door and machine states, in French (their
English in console/lang/en/sites.toml); `word(value)` in the site's templates."""

from __future__ import annotations

from collections.abc import Mapping

from station.protocol.vocabulary import DoorMode, DoorState, GrantState, MachineState
from station.site_live import Alarm

WORDS: Mapping[str, str] = {
    Alarm.FORCED: "porte forcée",
    Alarm.HELD_OPEN: "porte restée ouverte",
    Alarm.READER_FAULT: "lecteur en panne",
    Alarm.OUTBOX_ALARM: "file d'attente pleine",
    Alarm.OFFLINE: "hors ligne",
    DoorState.OPEN: "ouverte",
    DoorState.CLOSED: "fermée",
    DoorState.UNKNOWN: "inconnue",
    DoorMode.NORMAL: "normal",
    DoorMode.LOCKDOWN: "confinement",
    DoorMode.HOLD_OPEN: "maintenue ouverte",
    MachineState.FREE: "libre",
    MachineState.IN_USE: "en service",
    MachineState.BLOCKED: "bloquée",
    MachineState.TO_CHECK: "à vérifier",
}

# Apart: GrantState.UNKNOWN and DoorState.UNKNOWN are the same word on the wire.
GRANTS: Mapping[GrantState, str] = {
    GrantState.IN_STEP: "à jour",
    GrantState.BEHIND: "en retard",
    GrantState.DIVERGED: "divergents",
    GrantState.UNKNOWN: "état inconnu",
}


def french(value: str) -> str:
    """The French word of a status value (the value itself if it has none)."""
    return WORDS.get(value, value)
