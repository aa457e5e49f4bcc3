"""Everything the kiosk asks of the site database, as plain values (no ORM rows leave).

One short transaction per call, so a kiosk left on the idle screen holds no lock
while sync writes. Database failures become `DatabaseUnavailable`; the controller
shows it and retries, and the next call simply opens a new connection.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kiosk.errors import DatabaseUnavailable
from station import registry, staff_pin
from station.checkin import Desk, Presence, TapResult
from station.commands_log import LoggedCommand, last_commands
from station.config import StationConfig
from station.credential import Credential, CredentialKind
from station.db import AgentStatus, BadgeStatus, Member, make_engine
from station.db.live import live_rows
from station.grant_state import stored_grant_state
from station.protocol.vocabulary import AgentKind, GrantState
from station.refusals import open_count
from station.rules import Presented
from station.staff_pin import PinCheck, PinOutcome
from station.today import (
    DayHours,
    SpaceFill,
    Tallies,
    hours_today,
    occupancy,
    people_in,
    tallies_today,
)

log = logging.getLogger(__name__)
LAST_COMMANDS = 3  # per agent, on the staff screen
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: uuid.UUID
    name: str
    kind: str
    email: str
    badges: int  # active ones
    secure: int = 0  # of which secure (DESFire)
    secure_only: bool = False  # their plain UIDs open nothing


@dataclass(frozen=True, slots=True)
class AgentRow:
    agent_id: str
    name: str
    kind: AgentKind
    online: bool
    grants_version: int
    updated_at: dt.datetime | None
    status: dict[str, Any] = field(default_factory=dict)
    commands: tuple[LoggedCommand, ...] = ()  # the last few, newest first
    grants: GrantState = GrantState.UNKNOWN  # what it holds against what sync sent it


@dataclass(frozen=True, slots=True)
class SignUpForm:
    """A visitor's sign-up form as typed at the kiosk (the birth year as text, "": none)."""

    first_name: str
    email: str
    commune: str
    purpose: str
    consent: bool
    birth_year: str = ""


@dataclass(frozen=True, slots=True)
class SignedUp:
    member_id: uuid.UUID
    first_name: str
    visit_id: uuid.UUID


class KioskService:
    """The check-in desk of one kiosk over the site database."""

    def __init__(
        self,
        config: StationConfig,
        kiosk_id: str,
        *,
        engine: Engine | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.config = config
        self.kiosk_id = kiosk_id
        self.desk = Desk.from_config(config, kiosk_id)
        self._own_engine = engine is None
        self.engine = engine or make_engine(config.resolve_url(config.database.url))
        self.clock = clock

    def close(self) -> None:
        if self._own_engine:
            self.engine.dispose()
        self._own_engine = False

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        except SQLAlchemyError as exc:
            log.warning("site database unavailable: %s", exc)
            raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc

    def ping(self) -> None:
        with self._session() as session:
            session.execute(text("SELECT 1"))

    # -- the entrance -----------------------------------------------------------------

    def tap(self, credential: Credential, presented: Presented | None = None) -> TapResult:
        """A badge tapped; `presented` only for a failed secure read (`credential` is then
        the card's UID), otherwise what the credential's kind says."""
        badge_hash = credential.keyed_hash(self.config.badge_key)
        if presented is None:
            presented = Presented.of(credential.kind is CredentialKind.SECURE)
        with self._session() as session:
            return self.desk.tap(session, badge_hash, self.clock(), presented)

    def choose_purpose(self, visit_id: uuid.UUID, purpose: str) -> None:
        with self._session() as session:
            self.desk.choose_purpose(session, visit_id, purpose)

    def sign_up(self, form: SignUpForm, birth_year: int | None) -> SignedUp:
        """Sign the visitor of `form` up (`birth_year` read from it, None: not given)."""
        with self._session() as session:
            member, visit = self.desk.sign_up_visitor(
                session,
                form.first_name,
                email=form.email,
                commune=form.commune,
                purpose=form.purpose,
                consent=form.consent,
                now=self.clock(),
                birth_year=birth_year,
            )
            return SignedUp(member.id, member.first_name, visit.id)

    def enrol(self, member_id: uuid.UUID, credential: Credential) -> str:
        """Give the badge to the member; returns their name. `Conflict` if it is held."""
        with self._session() as session:
            badge = self.desk.enrol(
                session,
                member_id,
                credential,
                self.config.badge_key,
                label=f"kiosk {self.kiosk_id}",
            )
            return badge.member.display_name

    def revoke(self, credential: Credential) -> str:
        """Deactivate the badge; returns its holder's name. `NotFound` if not enrolled."""
        with self._session() as session:
            badge = self.desk.revoke(session, credential.keyed_hash(self.config.badge_key))
            return badge.member.display_name

    def auto_check_out(self) -> int:
        with self._session() as session:
            return self.desk.auto_check_out(session, self.clock())

    # -- staff PINs ---------------------------------------------------------------------

    def pin_refusal(self, member_id: uuid.UUID) -> PinCheck | None:
        """What keeps this staff member out whatever PIN they type, or None."""
        with self._session() as session:
            member = session.get(Member, member_id)
            if member is None:
                return PinCheck(PinOutcome.NOT_STAFF)
            return staff_pin.refusal(session, member, self.clock())

    def check_pin(self, member_id: uuid.UUID, pin: str) -> PinCheck:
        """Check a staff member's PIN at this kiosk (wrong ones counted, lock-outs stored)."""
        with self._session() as session:
            member = session.get(Member, member_id)
            if member is None:
                return PinCheck(PinOutcome.NOT_STAFF)
            return staff_pin.check_pin(
                session,
                member,
                pin,
                self.clock(),
                kiosk_id=self.kiosk_id,
                site_id=self.config.site.id,
            )

    # -- what the screens show --------------------------------------------------------

    def hours(self) -> DayHours:
        return hours_today(self.desk.schedule, self.clock())

    def people_in(self) -> int:
        with self._session() as session:
            return people_in(session, self.config.site.id)

    def occupancy(self) -> tuple[SpaceFill, ...]:
        """How full each space with a capacity (`spaces.<id>.capacity` > 0) is now."""
        capacities = {space_id: space.capacity for space_id, space in self.config.spaces.items()}
        with self._session() as session:
            return occupancy(session, self.config.site.id, capacities)

    def who_is_in(self) -> list[Presence]:
        with self._session() as session:
            return self.desk.who_is_in(session)

    def check_out(self, visit_id: uuid.UUID) -> None:
        with self._session() as session:
            self.desk.check_out(session, visit_id, self.clock())

    def open_refusals(self) -> int:
        """Central's refusals of this site not dealt with yet, as of the last sync."""
        with self._session() as session:
            return open_count(session, self.config.site.id)

    def tallies(self) -> Tallies:
        with self._session() as session:
            return tallies_today(
                session, self.config.site.id, self.config.site.timezone, self.clock()
            )

    def search(self, text_: str, limit: int = 12) -> list[MemberRow]:
        if not text_.strip():
            return []
        with self._session() as session:
            return [_member_row(m) for m in registry.search_members(session, text_, limit)]

    def agents(self) -> list[AgentRow]:
        """Every agent of the configuration with the last status sync stored for it and
        its last commands (who sent what, and what came of it)."""
        with self._session() as session:
            rows = {s.agent_id: s for s in session.scalars(select(AgentStatus))}
            commands = last_commands(
                session, self.config.site.id, self.config.agents, LAST_COMMANDS
            )
        result = []
        for agent_id, agent in self.config.agents.items():
            status = rows.get(agent_id)
            result.append(
                AgentRow(
                    agent_id,
                    agent.name,
                    AgentKind(agent.kind),
                    bool(status and status.online),
                    status.grants_version if status else 0,
                    status.updated_at if status else None,
                    dict(status.status) if status else {},
                    tuple(commands[agent_id]),
                    stored_grant_state(status),
                )
            )
        return result


def _member_row(member: Member) -> MemberRow:
    active = [b for b in live_rows(member.badges) if b.status is BadgeStatus.ACTIVE]
    secure = sum(b.credential_kind is CredentialKind.SECURE for b in active)
    return MemberRow(
        member.id,
        member.display_name,
        member.kind.value,
        member.email or "",
        len(active),
        secure,
        member.secure_only,
    )
