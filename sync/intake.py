"""Agents -> site: events stored idempotently by id, and each agent's last status.

The caller commits, then acknowledges the stored ids to each agent: an agent
deletes an event from its outbox only once the site database holds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import operator
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, update

from station.aggregates import SANE_FIRST, SANE_LAST, local_day, refresh_usage
from station.db import AccessEvent, AgentStatus, MachineSession, SyncRejection, utcnow
from station.protocol.errors import ProtocolError
from station.protocol.events import AgentEvent
from station.protocol.signing import parse_json
from station.protocol.status import AgentStatusMessage
from station.protocol.vocabulary import EventType, Refusal
from sync.rows import Codec, execute_many, upsert
from sync.tables import table_of

log = logging.getLogger(__name__)

MAX_SESSION_S = 366 * 86400.0  # a longer duration is nonsense (and may overflow a date)


def store_events(
    site: Connection,
    site_id: str,
    events: Sequence[AgentEvent],
    agent_id: str | None = None,
    *,
    zone: ZoneInfo | None = None,
) -> None:
    """Insert the events (duplicates ignored) and the machine sessions they describe,
    and, given the site's `zone`, recompute the daily machine tallies of their days.

    `agent_id` is the agent named by the topic: the broker's ACL vouches for it,
    whereas the body's ``agent`` field is whatever the sender wrote.
    """
    if not events:
        return
    if agent_id is not None:
        events = [e if e.agent == agent_id else replace(e, agent=agent_id) for e in events]
    _insert_events(site, site_id, events)
    sessions = [e for e in events if e.type in (EventType.SESSION_STARTED, EventType.SESSION_ENDED)]
    for event in sessions:
        _session(site, site_id, event)
    if zone is not None and sessions:
        refresh_usage(site, site_id, zone, {d for e in sessions for d in _session_days(e, zone)})


def _insert_events(site: Connection, site_id: str, events: Sequence[AgentEvent]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING of the events, as driver values (`Codec`: what
    the ORM stores, without SQLAlchemy's per-statement machinery, most of the cost of a
    replayed backlog)."""
    codec = Codec(table_of(AccessEvent), site)
    in_table_order = operator.itemgetter(*codec.columns)
    rows = [
        in_table_order(
            {
                "id": e.id,
                "agent_id": e.agent,
                "resource": e.resource,
                "type": e.type.value,  # psycopg would write an Enum by its name
                "reason": e.reason,
                "credential_hash": e.credential_hash,
                "member_id": _uuid(e.member),
                "at": e.at,
                "data": e.data,
                "site_id": site_id,
                "uploaded_at": None,
            }
        )
        for e in events
    ]
    execute_many(site, codec.insert_ignore_sql(), codec.encode(rows))


def _session_days(event: AgentEvent, zone: ZoneInfo) -> set[dt.date]:
    """The local days a session event may change: that of its start (given, or its end
    less its duration) and that of the event (a superset: recomputing is idempotent)."""
    days: set[dt.date] = set()
    started = _session_time(event.data.get("started_at"))
    duration = event.data.get("duration_s")
    with contextlib.suppress(OverflowError, TypeError, ValueError):  # times at year 1 or 9999
        days.add(local_day(event.at, zone))
        if started is not None:
            days.add(local_day(started, zone))
        elif isinstance(duration, int | float) and 0 <= duration <= MAX_SESSION_S:
            days.add(local_day(event.at - dt.timedelta(seconds=duration), zone))
    return days


# Central's columns (PostgreSQL enforces them): longer text would stop every later upload.
TEXT_LIMITS = {"agent": 64, "resource": 64, "type": 40, "reason": 40, "credential_hash": 64}


def check_event(event: AgentEvent, *, nul_free: bool = False) -> AgentEvent:
    """The event if both hops can store it, else `ProtocolError`: one that decodes but
    that SQLite or PostgreSQL refuses would otherwise fail its whole batch, each time
    the agent sends it again, and stop the upload to central.

    ``nul_free``: its message came through `parse_json` (no NaN, no infinity) and holds
    no ``\\u0000`` (the only way JSON writes a NUL): its ``data`` is strict JSON without
    NUL, and encoding it again to see is skipped (a replayed backlog's largest cost)."""
    for name, limit in TEXT_LIMITS.items():
        value = getattr(event, name)
        if value is not None and (len(value) > limit or "\x00" in value):
            raise ProtocolError(Refusal.MALFORMED, f"{name} longer than {limit} or with NUL")
    if _time(event.at.isoformat()) is None:
        raise ProtocolError(Refusal.MALFORMED, "'at' out of range in UTC")
    if nul_free:
        return event
    try:  # strict JSON: PostgreSQL's json type has no NaN, no NUL in strings
        encoded = json.dumps(event.data, allow_nan=False)
    except (ValueError, TypeError, RecursionError) as exc:
        raise ProtocolError(Refusal.MALFORMED, f"'data' is not strict JSON ({exc})") from None
    if "\\u0000" in encoded:
        raise ProtocolError(Refusal.MALFORMED, "'data' holds a NUL character")
    return event


def refusable_id(payload: bytes) -> uuid.UUID | None:
    """The id of a refused event, if it has one as our agents make them (a UUID): the
    refusal is then recorded under it and acknowledged, so the agent stops resending."""
    try:
        return uuid.UUID(str(parse_json(payload)["id"]))
    except (ProtocolError, KeyError, ValueError):
        return None


def store_refusals(
    site: Connection, agent_id: str, refusals: Sequence[tuple[uuid.UUID, str, bytes]]
) -> None:
    """Refused events, for staff to see (`SyncRejection`, once per event id), with the
    payload as received: nothing is dropped without a trace."""
    rows = [
        {
            "id": event_id,
            "entity": "agent_event",
            "entity_id": agent_id[:64],
            "reason": f"{why}; payload: {payload[:4000].decode('utf-8', 'replace')}",
            "at": utcnow(),
            "resolved": False,
        }
        for event_id, why, payload in refusals
    ]
    _insert_ignore(site, table_of(SyncRejection), rows)


def parse_status(payload: bytes) -> AgentStatusMessage:
    """A status message, checked key by key (`AgentStatusMessage`), or `ProtocolError`."""
    return AgentStatusMessage.decode(payload)


def store_status(site: Connection, agent_id: str, status: AgentStatusMessage) -> None:
    upsert(
        site,
        table_of(AgentStatus),
        [
            {
                "agent_id": agent_id,
                "online": status.online,
                "grants_version": status.grants_version,
                "status": status.to_json(),
                "updated_at": utcnow(),
                "expected_version": 0,  # sync's own columns (sync.grant_state), kept
                "expected_digest": "",
            }
        ],
        guard_revision=False,
        update=("online", "grants_version", "status", "updated_at"),
    )


def _session(site: Connection, site_id: str, event: AgentEvent) -> None:
    """A machine session row from its start and end events, whichever comes first.

    The start event's id (or ``data.session_id``) names the session; an end event
    without a session id closes the agent's open session for the same badge.
    """
    table = table_of(MachineSession)
    data = event.data
    session_id = _uuid(data.get("session_id"))
    started = _session_time(data.get("started_at"))
    if event.type is EventType.SESSION_STARTED:
        _insert_ignore(
            site,
            table,
            [
                {
                    "id": session_id or event.id,
                    "agent_id": event.agent,
                    "resource": event.resource,
                    "member_id": _uuid(event.member),
                    "credential_hash": event.credential_hash,
                    "started_at": started or event.at,
                    "ended_at": None,
                    "end_reason": None,
                    "duration_s": None,
                    "site_id": site_id,
                    "uploaded_at": None,
                }
            ],
        )
        return
    duration = data.get("duration_s")
    duration = (
        float(duration)
        if isinstance(duration, int | float) and 0 <= duration <= MAX_SESSION_S
        else None
    )
    ended = _session_time(data.get("ended_at")) or event.at
    if session_id is None:
        session_id = site.execute(
            select(table.c.id)
            .where(
                table.c.agent_id == event.agent,
                table.c.credential_hash == event.credential_hash,
                table.c.ended_at.is_(None),
            )
            .order_by(table.c.started_at.desc())
            .limit(1)
        ).scalar()
    if started is None and duration is not None:
        with contextlib.suppress(OverflowError):  # ended in year 1: start unknown
            started = ended - dt.timedelta(seconds=duration)
    reason = data.get("end_reason") or event.reason
    ending = {
        "ended_at": ended,
        "end_reason": str(reason)[:40] if reason else None,
        "duration_s": duration,
        "uploaded_at": None,
    }  # changed: send it up again
    if (
        session_id is not None
        # Only the agent that ran the session ends it: another one's event naming its
        # id is a session of its own (and a forged one changes nothing here).
        and site.execute(
            update(table)
            .where(table.c.id == session_id, table.c.agent_id == event.agent)
            .values(**ending)
        ).rowcount
    ):
        return
    _insert_ignore(
        site,
        table,
        [
            {
                "id": session_id or event.id,
                "agent_id": event.agent,
                "resource": event.resource,
                "member_id": _uuid(event.member),
                "credential_hash": event.credential_hash,
                "started_at": started or ended,
                "site_id": site_id,
                **ending,
            }
        ],
    )


def _insert_ignore(site: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if site.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    site.execute(insert(table).on_conflict_do_nothing(index_elements=["id"]), rows)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _time(value: Any) -> dt.datetime | None:
    """An aware time that converts to UTC (year 1 at +05:00 does not), else None."""
    try:
        parsed = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
        if parsed is None or parsed.tzinfo is None:
            return None
        parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None
    return parsed


def _session_time(value: Any) -> dt.datetime | None:
    """A session's own start or end, if of the calendar the tallies keep (1970 to
    9998): 9999 has no local day in Paris, and central's upload of the session would
    stop on it at every round. Outside it the session is stored without that time."""
    parsed = _time(value)
    if parsed is None or not SANE_FIRST <= parsed.astimezone(dt.UTC).date() <= SANE_LAST:
        return None
    return parsed
