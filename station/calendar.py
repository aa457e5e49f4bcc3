"""Today's events from an iCalendar (RFC 5545) feed, with the standard library only.

Enough of the format for a venue's public agenda: VEVENTs with DTSTART/DTEND as
UTC, floating, TZID-qualified or all-day values, folded lines and escaped text.
Recurrence rules are not expanded (a feed exported by a calendar server lists
each occurrence of a workshop when asked for a date range; say so to staff).
"""

from __future__ import annotations

import datetime as dt
import urllib.request
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from station.errors import StationError

MAX_FEED_BYTES = 2 * 1024 * 1024


class CalendarError(StationError, ValueError):
    """The feed cannot be fetched or read."""


@dataclass(frozen=True, slots=True)
class Event:
    start: dt.datetime  # aware; all-day events start at local midnight
    end: dt.datetime | None
    summary: str
    location: str = ""
    all_day: bool = False


def fetch(url: str, timeout: float = 5.0) -> str:
    """The feed's text (http(s) or file URL); `CalendarError` on any failure."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read(MAX_FEED_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise CalendarError(f"cannot fetch {url}: {exc}") from exc
    if len(data) > MAX_FEED_BYTES:
        raise CalendarError(f"{url}: feed larger than {MAX_FEED_BYTES} bytes")
    return data.decode("utf-8", "replace")


def events_on(text: str, day: dt.date, timezone: str) -> list[Event]:
    """Events of the feed that touch `day` (site time), sorted by start."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(day, dt.time(), zone)
    end = start + dt.timedelta(days=1)
    found = [
        e
        for e in parse(text, zone)
        if e.start < end and (e.end or e.start + dt.timedelta(seconds=1)) > start
    ]
    return sorted(found, key=lambda e: e.start)


def parse(text: str, zone: ZoneInfo) -> list[Event]:
    events: list[Event] = []
    current: dict[str, tuple[dict[str, str], str]] | None = None
    for line in _unfold(text):
        name, params, value = _split(line)
        if name == "BEGIN" and value.upper() == "VEVENT":
            current = {}
        elif name == "END" and value.upper() == "VEVENT" and current is not None:
            event = _event(current, zone)
            if event is not None:
                events.append(event)
            current = None
        elif current is not None and name:
            current.setdefault(name, (params, value))
    return events


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def _split(line: str) -> tuple[str, dict[str, str], str]:
    head, sep, value = line.partition(":")
    if not sep:
        return "", {}, ""
    name, *raw_params = head.split(";")
    params = {}
    for item in raw_params:
        key, _, val = item.partition("=")
        params[key.upper()] = val.strip('"')
    return name.upper(), params, value


def _event(props: dict[str, tuple[dict[str, str], str]], zone: ZoneInfo) -> Event | None:
    if "DTSTART" not in props:
        return None
    try:
        start, all_day = _when(*props["DTSTART"], zone)
        end = _when(*props["DTEND"], zone)[0] if "DTEND" in props else None
    except ValueError:
        return None  # one malformed event must not hide the others
    if all_day and end is None:
        end = start + dt.timedelta(days=1)
    return Event(
        start,
        end,
        _text(props.get("SUMMARY", ({}, ""))[1]),
        _text(props.get("LOCATION", ({}, ""))[1]),
        all_day,
    )


def _when(params: dict[str, str], value: str, zone: ZoneInfo) -> tuple[dt.datetime, bool]:
    value = value.strip()
    if params.get("VALUE") == "DATE" or len(value) == 8:
        day = dt.datetime.strptime(value, "%Y%m%d").date()
        return dt.datetime.combine(day, dt.time(), zone), True
    if value.endswith("Z"):
        return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC), False
    local = dt.datetime.strptime(value, "%Y%m%dT%H%M%S")
    tz = zone
    if "TZID" in params:
        try:
            tz = ZoneInfo(params["TZID"])
        except (ZoneInfoNotFoundError, ValueError):
            tz = zone  # Windows-style names: the site's zone is the best guess
    return local.replace(tzinfo=tz), False


def _text(value: str) -> str:
    return (
        value.replace("\\n", " ")
        .replace("\\N", " ")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
    ).strip()
