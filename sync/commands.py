"""The console's command requests, carried out by the site's sync.

Central holds each request (station.command_requests). When woken (a NOTIFY naming
this site, a round, or the local check on a central without LISTEN), sync reads this
site's pending requests: one past its ``expires_at`` by the site's own clock expires
here and is never sent; the others are signed with the site key in the console's name
(`station.protocol.trust.may_issue`: the site key signs for ``console``), claimed at
central (pending -> sent, conditional, so the console's expiry and the site never both
win), then published to the agent. The agent's answer on ``command_results`` makes the
request done or failed; results central could not take wait here for the next try.
Only the answer of the agent a command was sent to, by this process, counts (a kiosk's
commands are answered on the same topics): a sync restarted in between leaves its
request to fail as unanswered.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from station.config import StationConfig
from station.db.command_requests import CommandRequest, RequestState
from station.protocol import topics
from station.protocol.commands import (
    DEFAULT_TTL,
    MAX_NAME,
    Author,
    CommandResult,
    Publisher,
    make_command,
)
from station.protocol.errors import ProtocolError
from station.protocol.keys import SigningKey

log = logging.getLogger(__name__)

NO_ANSWER_S = 10.0  # a sent request unanswered this long past its expiry has failed
SWEEP_S = 30.0  # how often unanswered requests left by an earlier run are looked for
MAX_RESULT = 254
EXPIRED_HERE = "expired before the site could send it (by the site's clock)"
NO_AGENT = "no agent of this site controls this resource"
NOT_SENT = "the message broker did not take the command"
NO_ANSWER = "no answer from the agent"


@dataclass(frozen=True)
class Claimed:
    request_id: object
    agent_id: str
    payload: bytes
    command_id: str
    expires_at: dt.datetime


class CommandRelay:
    """Owned by the sync service and called from its loop only."""

    def __init__(
        self,
        config: StationConfig,
        central_engine: Engine,
        signer: Callable[[dt.datetime], SigningKey],
        wall: Callable[[], dt.datetime],
    ) -> None:
        self.site = config.site.id
        self.agents = {agent.resource: agent_id for agent_id, agent in config.agents.items()}
        self.central_engine = central_engine
        self.signer = signer  # the site key in force (KeyStoreError: nothing can be signed)
        self.wall = wall
        self.unreported: list[CommandResult] = []  # results central has not taken yet
        # Command ids this process sent, until their expiry: only their results are
        # written (a kiosk's commands have results too, and no request at central).
        self.awaiting: dict[str, tuple[str, dt.datetime]] = {}  # id: (agent, expiry)
        self.sent = 0
        self._next_sweep = dt.datetime.min.replace(tzinfo=dt.UTC)
        self.malformed = 0

    def relay(self, bus: Publisher | None) -> int:
        """Send this site's pending requests; how many were published. Raises
        DBAPIError (central unreachable) and KeyStoreError: the caller logs them."""
        self.report()
        now = self.wall()
        with Session(self.central_engine) as db, db.begin():
            claimed = [
                c
                for row in self._pending(db)
                if (c := self._claim(db, row, now, bus is not None)) is not None
            ]
            if self.awaiting or now >= self._next_sweep:  # no write lock every second
                self._give_up_unanswered(db, now)
                self._next_sweep = now + dt.timedelta(seconds=SWEEP_S)
        published = 0
        for item in claimed:
            info = None
            if bus is not None:
                topic = topics.agent(self.site, item.agent_id, topics.COMMANDS)
                info = bus.publish(topic, item.payload, qos=1, retain=False)
            if info is None or getattr(info, "rc", 0) != 0:
                self._finish(item.request_id, RequestState.FAILED, NOT_SENT, now)
            else:
                published += 1
                self.awaiting[item.command_id] = (item.agent_id, item.expires_at)
        for command_id, (_agent, expires) in list(self.awaiting.items()):
            if expires < now - dt.timedelta(seconds=NO_ANSWER_S):
                del self.awaiting[command_id]
        self.sent += published
        return published

    def take(self, topic: str, payload: bytes) -> bool:
        """Whether this message is an agent's command result (then taken: written at
        central now, or at the next relay); a malformed one is counted and dropped."""
        parsed = topics.parse_agent_topic(topic)
        if parsed is None or parsed[0] != self.site or parsed[2] != topics.COMMAND_RESULTS:
            return False
        try:
            result = CommandResult.decode(payload)
        except ProtocolError as exc:
            self.malformed += 1
            log.warning("refused a command result from %s: %s", parsed[1], exc)
            return True
        command_id, agent_id = result.id or "", parsed[1]
        sent_to = self.awaiting.get(command_id, ("", None))[0]
        if sent_to == agent_id == result.agent:  # from the agent it was sent to only
            del self.awaiting[command_id]
            self.unreported.append(result)
            self.report()
        return True

    def report(self) -> None:
        waiting, self.unreported = self.unreported, []
        if not waiting:
            return
        try:
            with Session(self.central_engine) as db, db.begin():
                for result in waiting:
                    self._record(db, result)
        except DBAPIError as exc:
            log.warning("central did not take %d command results: %s", len(waiting), exc)
            self.unreported = waiting + self.unreported

    # -- inside one transaction at central ------------------------------------------

    def _pending(self, db: Session) -> list[CommandRequest]:
        return list(
            db.scalars(
                select(CommandRequest)
                .where(
                    CommandRequest.site_id == self.site,
                    CommandRequest.state == RequestState.PENDING,
                )
                .order_by(CommandRequest.requested_at)
            )
        )

    def _claim(
        self, db: Session, row: CommandRequest, now: dt.datetime, connected: bool
    ) -> Claimed | None:
        if row.expires_at <= now:
            self._set(db, row.id, RequestState.PENDING, RequestState.EXPIRED, EXPIRED_HERE, now)
            return None
        agent_id = self.agents.get(row.resource)
        if agent_id is None:
            self._set(db, row.id, RequestState.PENDING, RequestState.FAILED, NO_AGENT, now)
            return None
        if not connected:  # left pending: the broker may be back before it expires
            return None
        command_id, payload = make_command(
            row.command,
            agent_id,
            self.signer(now),
            author=Author(row.author[:MAX_NAME], "console"),
            reason="",
            args=row.args,
            now=now,
            ttl=min(DEFAULT_TTL, row.expires_at - now),
        )
        claimed = db.execute(
            update(CommandRequest)
            .where(CommandRequest.id == row.id, CommandRequest.state == RequestState.PENDING)
            .values(state=RequestState.SENT, agent_id=agent_id, command_id=command_id)
            .execution_options(synchronize_session=False)
        )
        if not getattr(claimed, "rowcount", 0):
            return None  # the console expired it meanwhile
        return Claimed(row.id, agent_id, payload, command_id, row.expires_at)

    def _give_up_unanswered(self, db: Session, now: dt.datetime) -> None:
        db.execute(
            update(CommandRequest)
            .where(
                CommandRequest.site_id == self.site,
                CommandRequest.state == RequestState.SENT,
                CommandRequest.expires_at < now - dt.timedelta(seconds=NO_ANSWER_S),
            )
            .values(state=RequestState.FAILED, result=NO_ANSWER, finished_at=now)
            .execution_options(synchronize_session=False)
        )

    def _record(self, db: Session, result: CommandResult) -> None:
        text = "applied" if result.ok else f"{result.reason}: {result.detail}".rstrip(": ")
        db.execute(
            update(CommandRequest)
            .where(
                CommandRequest.site_id == self.site,
                CommandRequest.command_id == result.id,
                CommandRequest.state == RequestState.SENT,
            )
            .values(
                state=RequestState.DONE if result.ok else RequestState.FAILED,
                result=text[:MAX_RESULT],
                finished_at=result.at or self.wall(),
            )
            .execution_options(synchronize_session=False)
        )

    def _finish(self, request_id: object, state: RequestState, text: str, now: dt.datetime) -> None:
        with Session(self.central_engine) as db, db.begin():
            self._set(db, request_id, RequestState.SENT, state, text, now)

    @staticmethod
    def _set(
        db: Session,
        request_id: object,
        was: RequestState,
        state: RequestState,
        text: str,
        now: dt.datetime,
    ) -> None:
        db.execute(
            update(CommandRequest)
            .where(CommandRequest.id == request_id, CommandRequest.state == was)
            .values(state=state, result=text, finished_at=now)
            .execution_options(synchronize_session=False)
        )
