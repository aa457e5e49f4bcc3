"""Commands asked from the office: a request written at central by the console, carried
out by the site's sync (signed with the site key, sent to the agent), its result written
back. Never replicated: the site reads and updates its own site's rows at central.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, Enum, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from station.db.models import Base
from station.ids import new_event_id
from station.protocol.vocabulary import Command


class RequestState(enum.StrEnum):
    """Where a command request is: the console writes it pending; the site claims it
    (sent) or lets it expire; the agent's result makes it done or failed."""

    PENDING = "pending"
    SENT = "sent"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


FINISHED = frozenset({RequestState.DONE, RequestState.FAILED, RequestState.EXPIRED})


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class CommandRequest(Base):
    __tablename__ = "command_requests"
    __table_args__ = (Index("ix_command_requests_site_state", "site_id", "state"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_event_id)
    site_id: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(64))  # the resource's code at the site
    agent_id: Mapped[str | None] = mapped_column(String(64), default=None)  # set by the site
    command: Mapped[Command] = mapped_column(_enum(Command))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    author: Mapped[str] = mapped_column(String(254))  # the staff account's email
    requested_at: Mapped[dt.datetime] = mapped_column(index=True)
    expires_at: Mapped[dt.datetime]
    state: Mapped[RequestState] = mapped_column(_enum(RequestState), default=RequestState.PENDING)
    command_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    result: Mapped[str] = mapped_column(String(254), default="")
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
