"""The alarms of an agent, read from its last status, and when a site counts as offline.

One reading for both ends: the site's sync computes the alarms it uploads with it
(`sync.live_up`), the console shows them (`station.site_view`).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping

from station.protocol.vocabulary import EventType, ReaderHealth, StatusField


class Alarm(enum.StrEnum):
    """What the live page raises for an agent (the first four are the agent's own words)."""

    FORCED = EventType.DOOR_FORCED.value
    HELD_OPEN = EventType.DOOR_HELD_OPEN.value
    READER_FAULT = EventType.READER_FAULT.value
    OUTBOX_ALARM = EventType.OUTBOX_ALARM.value
    OFFLINE = "offline"  # the agent's last will, or never heard from


_DOOR_ALARMS = {EventType.DOOR_FORCED: Alarm.FORCED, EventType.DOOR_HELD_OPEN: Alarm.HELD_OPEN}

# A site is offline once it missed this many uploads (its poll interval each)...
MISSED_UPLOADS = 3
# ...and never sooner than this: a round may take a while on a slow link.
OFFLINE_FLOOR = dt.timedelta(seconds=90)


def alarms_of(status: Mapping[str, object], online: bool) -> list[Alarm]:
    """The alarms an agent's status (`StatusField` keys) raises, in `Alarm` order."""
    raised: set[Alarm] = set()
    listed = status.get(StatusField.ALARMS)
    for word in listed if isinstance(listed, list) else []:
        if word in _DOOR_ALARMS:
            raised.add(_DOOR_ALARMS[EventType(word)])
    if status.get(StatusField.READER) == ReaderHealth.FAULT:
        raised.add(Alarm.READER_FAULT)
    if status.get(StatusField.OUTBOX_ALARM) is True:
        raised.add(Alarm.OUTBOX_ALARM)
    if not online:
        raised.add(Alarm.OFFLINE)
    return [alarm for alarm in Alarm if alarm in raised]


def site_online(heard_at: dt.datetime | None, poll_s: float, now: dt.datetime) -> bool:
    """Whether a site last heard from at `heard_at` still counts as online at `now`."""
    if heard_at is None:
        return False
    patience = max(dt.timedelta(seconds=MISSED_UPLOADS * poll_s), OFFLINE_FLOOR)
    return now - heard_at <= patience
