"""Site -> central, for the console's live page: the agents' last statuses with their
alarms and the site's heartbeat (`station.db.site_live`); and central -> site, the
check-outs asked from the office, carried out here, where the open visit lives.

The service pushes the statuses as soon as one changed (`pending`), and again at
every round as the heartbeat. What fails is tried again later: the site never
waits for central to decide anything.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from station.checkin import STAFF, Desk
from station.config import StationConfig
from station.config.schema import OPENING_HOURS
from station.db import AgentStatus, Visit
from station.db.site_live import CheckoutRequest, CheckoutState, SiteAgent, SiteLink
from station.errors import NotFound
from station.grant_state import stored_grant_state
from station.protocol.vocabulary import StatusField
from station.site_live import alarms_of
from sync.errors import central_error
from sync.rows import upsert
from sync.tables import table_of

RETRY_S = 5.0  # after a failed push between rounds; a round always tries
MAX_CHECKOUTS = 100  # requests carried out per round (a round comes again soon)
CONSOLE_KIOSK = "console"  # the desk the office's check-outs are made at

Row = dict[str, Any]


class LiveUpload:
    def __init__(
        self,
        config: StationConfig,
        site_engine: Engine,
        central_engine: Engine,
        wall: Callable[[], dt.datetime],
    ) -> None:
        self.config = config
        self.site = config.site.id
        self.site_engine = site_engine
        self.central_engine = central_engine
        self.wall = wall
        self.pending = True  # a status changed since the last push (at start: all of them)
        self.pushes = 0
        self._sent: list[Row] | None = None  # the agents' rows central holds, as last sent
        self._retry_at = 0.0

    def due(self) -> bool:
        """Whether a push between rounds should go now."""
        return self.pending and time.monotonic() >= self._retry_at

    def push(self, *, changed: bool = False, heartbeat: bool = True) -> bool:
        """Upload the agents' rows if they changed, and the heartbeat; `changed` also
        bumps the site's version (visits or check-outs went up). Between rounds
        (`heartbeat` False) nothing is written unless something the page shows
        changed: an outbox depth or a status's own time alone waits for the round.
        Whether central was written to; raises `SyncError`."""
        rows = self._rows()
        shown = _shown(rows) != _shown(self._sent)
        self.pending = False  # a status stored during the push sets it again
        if not (shown or changed or heartbeat):
            return False
        try:
            with self.central_engine.begin() as central:
                if rows != self._sent:
                    upsert(central, table_of(SiteAgent), rows, guard_revision=False)
                self._heartbeat(central, bump=shown or changed)
        except DBAPIError as exc:
            self.pending = True
            self._retry_at = time.monotonic() + RETRY_S
            raise central_error(exc) from exc
        self._sent = rows
        self.pushes += 1
        return True

    def round_wanted(self, *, poll_central: bool) -> bool:
        """Whether a round should come now rather than at the poll: a visit waits to go
        up (who is in, on the live page), or, central not listened to, a check-out is
        asked. Only asked while the last round went well: no outage is hammered."""
        try:
            with self.site_engine.connect() as site:
                visits = table_of(Visit)
                waiting = select(visits.c.id).where(visits.c.uploaded_at.is_(None)).limit(1)
                if site.execute(waiting).first() is not None:
                    return True
            if not poll_central:
                return False
            asked = table_of(CheckoutRequest)
            with self.central_engine.connect() as central:
                pending = (
                    select(asked.c.id)
                    .where(asked.c.site_id == self.site, asked.c.state == CheckoutState.PENDING)
                    .limit(1)
                )
                return central.execute(pending).first() is not None
        except DBAPIError:
            return False  # the round says what is wrong

    def settle_checkouts(self) -> int:
        """Carry out the check-outs asked at central for this site; how many were settled.
        The visit is checked out here first: a crash before central hears of it only
        means the (idempotent) check-out is made again at the next round."""
        table = table_of(CheckoutRequest)
        try:
            with self.central_engine.connect() as central:
                asked = central.execute(
                    select(table.c.id, table.c.visit_id, table.c.expires_at)
                    .where(table.c.site_id == self.site, table.c.state == CheckoutState.PENDING)
                    .order_by(table.c.requested_at)
                    .limit(MAX_CHECKOUTS)
                ).all()
        except DBAPIError as exc:
            raise central_error(exc) from exc
        if not asked:
            return 0
        now = self.wall()
        outcomes = self._check_out([(i, v) for i, v, until in asked if until >= now], now)
        outcomes |= {i: CheckoutState.EXPIRED for i, _v, until in asked if until < now}
        try:
            with self.central_engine.begin() as central:
                for request_id, state in outcomes.items():
                    central.execute(
                        update(table)
                        .where(table.c.id == request_id, table.c.state == CheckoutState.PENDING)
                        .values(state=state, settled_at=now)
                    )
        except DBAPIError as exc:
            raise central_error(exc) from exc
        return len(outcomes)

    # -- internals ------------------------------------------------------------------------

    def _rows(self) -> list[Row]:
        """One row per configured agent, with the status sync last stored for it."""
        with Session(self.site_engine) as db:
            stored = {s.agent_id: s for s in db.scalars(select(AgentStatus))}
        rows = []
        for agent_id, agent in sorted(self.config.agents.items()):
            status = stored.get(agent_id)
            body = dict(status.status) if status else {}
            online = bool(status and status.online)
            rows.append(
                {
                    "site_id": self.site,
                    "agent_id": agent_id,
                    "name": agent.name[:100],
                    "kind": agent.kind,
                    "resource": agent.resource,
                    "online": online,
                    "status": body,
                    "alarms": [str(a) for a in alarms_of(body, online)],
                    "grants_state": stored_grant_state(status).value,
                    "seen_at": status.updated_at if status else None,
                }
            )
        return rows

    def _heartbeat(self, central: Any, *, bump: bool) -> None:
        table = table_of(SiteLink)
        values = {
            "name": self.config.site.name[:100],
            "heard_at": self.wall(),
            "poll_s": float(self.config.central.poll_interval_s),
            "timezone": self.config.site.timezone[:64],
        }
        done = central.execute(
            update(table)
            .where(table.c.site_id == self.site)
            .values(**values, version=table.c.version + (1 if bump else 0))
        ).rowcount
        if not done:
            central.execute(table.insert().values(site_id=self.site, version=1, **values))

    def _check_out(
        self, asked: list[tuple[uuid.UUID, uuid.UUID]], now: dt.datetime
    ) -> dict[uuid.UUID, CheckoutState]:
        outcomes: dict[uuid.UUID, CheckoutState] = {}
        purposes = {p.id: p.space for p in self.config.purposes}
        if not asked:
            return outcomes
        if not purposes:  # no purpose, no check-in: no visit of this site to close
            return {request_id: CheckoutState.REFUSED for request_id, _ in asked}
        desk = Desk(
            self.site,
            CONSOLE_KIOSK,
            self.config.site.timezone,
            purposes,
            self.config.schedule(OPENING_HOURS),
        )
        with Session(self.site_engine) as db, db.begin():
            for request_id, visit_id in asked:
                try:
                    desk.check_out(db, visit_id, now, STAFF)
                    outcomes[request_id] = CheckoutState.DONE
                except NotFound:
                    outcomes[request_id] = CheckoutState.REFUSED
        return outcomes


# What changes with every status an agent publishes, and is not worth a write alone.
_NOISE = frozenset({StatusField.AT, StatusField.OUTBOX_DEPTH})


def _shown(rows: list[Row] | None) -> list[Row] | None:
    """The rows as the live page shows them: without the status's noise nor `seen_at`."""
    if rows is None:
        return None
    return [
        {
            **{k: v for k, v in row.items() if k != "seen_at"},
            "status": {k: v for k, v in row["status"].items() if k not in _NOISE},
        }
        for row in rows
    ]
